// relay.sns (config/schema.ts) -> what the SNS endpoint uses: regular expressions compiled, the
// CA read, a certificate verifier (with its cache) per configuration.
import { readFileSync } from 'node:fs';
import type { RelayConfig } from '../../config/schema.js';
import type { SnsSettings } from '../routes/sns.js';
import { SnsVerifier } from './verify.js';

export function snsSettingsFor(c: RelayConfig['sns']): SnsSettings {
  return {
    topics: new Set(c.topics),
    severity: {
      rules: c.severity.rules.map((r) => ({
        ...(r.alarm_name !== undefined ? { alarmName: new RegExp(r.alarm_name) } : {}),
        ...(r.description !== undefined ? { description: new RegExp(r.description) } : {}),
        severity: r.severity,
      })),
      default: c.severity.default,
      insufficientData: c.severity.insufficient_data,
    },
    verifier: new SnsVerifier({
      hostPattern: new RegExp(c.cert_host_pattern),
      ...(c.ca_file !== undefined ? { ca: readFileSync(c.ca_file, 'utf8') } : {}),
    }),
  };
}
