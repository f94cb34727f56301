import t from 'tap';
import { Deduper, notificationKey } from '../../src/relay/dedupe.js';
import type { AlertmanagerNotification } from '../../src/relay/types.js';

const n = (status: 'firing' | 'resolved', fingerprints: string[]): AlertmanagerNotification => ({
  version: '4',
  groupKey: 'g',
  status,
  receiver: 'r',
  groupLabels: {},
  commonLabels: {},
  commonAnnotations: {},
  externalURL: '',
  alerts: fingerprints.map((f) => ({ status, labels: { a: f }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', fingerprint: f })),
});

t.test('the key is the group, status and alert set, in any order', async (t) => {
  t.equal(notificationKey(n('firing', ['a', 'b'])), notificationKey(n('firing', ['b', 'a'])));
  t.not(notificationKey(n('firing', ['a'])), notificationKey(n('resolved', ['a'])));
  t.not(notificationKey(n('firing', ['a'])), notificationKey(n('firing', ['a', 'b'])));
  const noFingerprint = n('firing', ['x']);
  const other = { ...noFingerprint, alerts: [{ ...noFingerprint.alerts[0]!, fingerprint: '', labels: { a: 'y' } }] };
  const same = { ...noFingerprint, alerts: [{ ...noFingerprint.alerts[0]!, fingerprint: '' }] };
  t.not(notificationKey(same), notificationKey(other), 'without fingerprints the labels tell alerts apart');
});

t.test('duplicates within the window only; old keys are evicted', async (t) => {
  let now = 0;
  const d = new Deduper(1000, () => now);
  d.remember('k1');
  now = 500;
  t.ok(d.isDuplicate('k1'));
  d.remember('k2');
  now = 1000;
  t.notOk(d.isDuplicate('k1'), 'the window has passed');
  d.remember('k3');
  t.equal(d.size, 2, 'k1 evicted');
  d.remember('k2'); // remembered again: its newer time counts
  now = 1600;
  d.remember('k4');
  t.ok(d.isDuplicate('k2'), 'k2 was refreshed at 1000');
  t.ok(d.isDuplicate('k3'), 'k3 (remembered at 1000) is still within its window');
  t.notOk(d.isDuplicate('k1'), 'k1 stays evicted');
});

t.test('memory stays bounded under a flood (bounded loop)', async (t) => {
  const d = new Deduper(3_600_000, () => 0);
  for (let i = 0; i < 120_000; i++) d.remember(`k${i}`);
  t.ok(d.size <= 50_000, `${d.size} keys kept`);
  t.ok(d.isDuplicate('k119999'), 'the newest are kept');
  t.notOk(d.isDuplicate('k0'), 'the oldest went first');
});
