// The `tls` section of a service collector (CA, client certificate and key files, or
// insecure_skip_verify) as Node's TLS options, for https (nginx) and mysql2 (MySQL) alike.
// Read once, when the collector is created: a missing file is a start-up error that names it.
import { readFileSync } from 'node:fs';

export interface TlsOptions {
  readonly ca_file?: string | undefined;
  readonly cert_file?: string | undefined;
  readonly key_file?: string | undefined;
  readonly insecure_skip_verify: boolean;
}

export function loadTls(tls: TlsOptions | undefined): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean } | undefined {
  if (!tls) return undefined;
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read TLS ${what} file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  const ca = read('CA', tls.ca_file);
  const cert = read('certificate', tls.cert_file);
  const key = read('key', tls.key_file);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }), rejectUnauthorized: !tls.insecure_skip_verify };
}

