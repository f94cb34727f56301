// Property-based bad input for the SNS endpoint: signed SNS notifications (signed with openssl by
// the SNS stand-in, test/helpers/sns.ts) mutated field by field (wrong types, missing fields,
// huge strings, deep nesting, unicode, extra fields), and raw bodies that are not JSON. Every input
// gets a 2xx or a 4xx naming what was wrong (a 503 only when the signing certificate cannot be
// fetched, which SNS retries), never a 500; and a message whose signed fields were changed is
// never accepted. Fixed, printed seed (TOCSIN_FUZZ_SEED) and bounded runs, as bad-input.test.ts.
import t from 'tap';
import fc from 'fast-check';
import type { Response as InjectResponse } from 'light-my-request';
import { parseConfig } from '../../src/config/load.js';
import { createRelay } from '../../src/relay/server.js';
import { silentLogger } from '../helpers/collect.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { alarmMessage, notification, startSnsStandIn, TOPIC } from '../helpers/sns.js';
import { tmpDir } from '../helpers/tmp.js';
import { count, figures, mutation, mutate, report, SEED, toJsonText, verdict } from './mutations.js';

const RUNS = Number(process.env.TOCSIN_FUZZ_RUNS ?? 300);
// The fields SNS signs in a Notification: changing any of them must break the signature.
const SIGNED = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'];

t.test('SNS: mutated signed notifications: 2xx or a 4xx naming the field, tampered ones never accepted', async (t) => {
  const sns = await startSnsStandIn();
  t.teardown(() => sns.close());
  const slack = await FakeSlack.start();
  t.teardown(() => slack.close());
  const dir = tmpDir(t, 'tocsin-fuzz-sns-');
  process.env.TOCSIN_HX_SNS_HOOK = slack.url('/services/T0SNSFUZZ/B0SNSFUZZ/sns-fuzz-secret');
  const config = parseConfig(
    `relay:
  data_dir: ${dir}/data
  delivery: {min_interval: 10ms, timeout: 2s}
  destinations:
    - {name: ops, webhook_url: "\${TOCSIN_HX_SNS_HOOK}"}
  sns:
    topics: ['${TOPIC}']
    cert_host_pattern: '^127\\.0\\.0\\.1$'
    ca_file: ${sns.pki.caCert}
`,
    'sns-fuzz.yml',
  );
  const relay = await createRelay(config, silentLogger);
  t.teardown(() => relay.close());

  // A few signed originals (signing runs openssl): the mutations start from one of them.
  const originals = Array.from({ length: 4 }, (_, i) =>
    sns.sign(notification(alarmMessage({ name: `db-fuzz-${i}`, state: 'ALARM', old: 'OK', at: new Date() }), { subject: `ALARM: db-fuzz-${i}` })),
  );
  const send = async (body: string, type: unknown): Promise<InjectResponse | undefined> => {
    try {
      return await relay.app.inject({
        method: 'POST',
        url: '/hooks/sns',
        payload: body,
        headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': typeof type === 'string' ? type.replace(/[^\x20-\x7e]/g, '') : '' },
      });
    } catch {
      return undefined;
    }
  };
  /** 503 is fine only when the signing certificate could not be fetched. */
  const problemOf = (res: InjectResponse) => (res.statusCode === 503 && /certificate/i.test(res.body) ? undefined : verdict(res));

  const f = figures();
  let accepted = 0;
  let tamperedAccepted = 0;
  let certUnavailable = 0;
  await fc.assert(
    fc.asyncProperty(fc.nat(originals.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, ms) => {
      const original = originals[which]!;
      const body = mutate(structuredClone(original) as Record<string, unknown>, ms) as Record<string, unknown>;
      const res = await send(toJsonText(body), typeof body === 'object' && body !== null ? body.Type : undefined);
      count(f, res);
      if (!res) return false;
      if (res.statusCode === 503) certUnavailable++;
      const problem = problemOf(res);
      if (problem) throw new Error(problem);
      if (res.statusCode === 200) {
        accepted++;
        const changed = SIGNED.filter((k) => JSON.stringify(body[k]) !== JSON.stringify(original[k]));
        if (changed.length > 0) {
          tamperedAccepted++;
          throw new Error(`accepted with changed signed fields ${changed.join(', ')}`);
        }
      }
      return true;
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  report(t, 'SNS notifications', f);

  const raw = figures();
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('', '{', '[]', 'null', '{"Type": "Notification"}', '{"Type": "SubscriptionConfirmation"}')),
      fc.constantFrom('Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation', '', 'Bogus'),
      async (body, type) => {
        const res = await send(body, type);
        count(raw, res);
        if (!res) return false;
        const problem = problemOf(res);
        if (problem) throw new Error(problem);
        return true;
      },
    ),
    { seed: SEED, numRuns: Math.ceil(RUNS / 3), endOnFailure: true },
  );
  report(t, 'SNS raw bodies', raw);
  t.comment(`SNS: accepted ${accepted} (unchanged signed fields), tampered accepted ${tamperedAccepted}, 503 certificate unavailable ${certUnavailable}`);
  t.equal(f.server - certUnavailable + raw.server + f.crashes + raw.crashes, 0, 'no 5xx other than an unavailable certificate, no crash');
  t.equal(tamperedAccepted, 0, 'no tampered message accepted');
});
