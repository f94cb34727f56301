// Crash durability, end to end: the relay runs as its own process; a burst of distinct
// notifications is posted to it concurrently; the relay is SIGKILLed in the middle of the burst
// while much of what it acknowledged is still undelivered; a new process on the same data_dir must
// deliver every notification that got a 200. Notifications whose request was cut by the crash are
// posted again to the new process, as Alertmanager would retry them.
//
// Each notification carries a unique label value (burst_id), which is in its group labels and so
// in the message title: a single message and a digest line both show it, so notifications are
// identified in whatever message they arrive. Two runs: one with digest_threshold high enough that
// every notification is its own message (digests off), one with the default threshold (10) where
// the backlog arrives as digests. Lost = acknowledged and never seen at the fake Slack (must be 0);
// duplicates (seen in more than one message: possible when the crash comes between a post reaching
// Slack and its done-mark reaching the disk, or for a request cut by the crash after it was stored)
// are counted and reported.
import { join } from 'node:path';
import t from 'tap';
import { parseExposition, select } from '../helpers/exposition.js';
import { FakeSlack, type RecordedRequest } from '../helpers/fake-slack.js';
import { pollUntil, startRelayProcess, tempDir, writeRelayConfig, type RelayProcess } from '../helpers/relay-config.js';
import { firingNotification } from '../helpers/notification.js';

const N = 300;
const CONCURRENCY = 16;
const WAIT_MS = 30_000;
const PATH = '/services/T0TOCSIN/B0DUR/durable-secret';
const ID = /dur-[a-z]+-\d{4}/g;

// One start for every alert: Alertmanager's retry of a notification is the same body, startsAt
// included (the relay's dedupe key holds startsAt: a new start is a new firing).
const STARTS_AT = new Date(Date.now() - 60_000).toISOString();

const notification = (id: string, i: number) =>
  firingNotification(
    { alertname: 'DurabilityBurst', burst_id: id, severity: 'warning' },
    { startsAt: STARTS_AT, fingerprint: (0x1000_0000 + i).toString(16) },
  );

type Outcome = 'accepted' | 'duplicate' | 'suppressed' | `http ${number}` | 'error';

async function post(url: string, body: unknown): Promise<Outcome> {
  try {
    const res = await fetch(`${url}/hooks/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (res.status !== 200) return `http ${res.status}`;
    return (JSON.parse(text) as { outcome: Outcome }).outcome;
  } catch {
    return 'error';
  }
}

/** Posts `indexes` with at most CONCURRENCY in flight; `stop()` true ends it early (unsent ones are left out). */
async function burst(
  url: string,
  ids: readonly string[],
  indexes: readonly number[],
  onResult: (i: number, outcome: Outcome) => void,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < indexes.length && !stop()) {
      const i = indexes[next++]!;
      onResult(i, await post(url, notification(ids[i]!, i)));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function metrics(url: string) {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return parseExposition(await res.text());
}
const metric = (exp: ReturnType<typeof parseExposition>, name: string, labels: Record<string, string> = {}) =>
  select(exp, name, labels).reduce((s, x) => s + x.value, 0);

/** burst_id -> number of messages (answered 200 by the fake Slack) it appeared in. */
function arrivals(requests: readonly RecordedRequest[]): { seen: Map<string, number>; hiddenGroups: number; digests: number } {
  const seen = new Map<string, number>();
  let hiddenGroups = 0;
  let digests = 0;
  for (const r of requests) {
    if (r.path !== PATH || r.status !== 200) continue;
    for (const id of new Set(r.rawBody.match(ID) ?? [])) seen.set(id, (seen.get(id) ?? 0) + 1);
    if (r.rawBody.includes('Digest:')) digests++;
    const more = /…and (\d+) more groups?/.exec(r.rawBody);
    if (more) hiddenGroups += Number(more[1]);
  }
  return { seen, hiddenGroups, digests };
}

interface Scenario {
  readonly name: string;
  readonly tag: string;
  readonly digestThreshold: number;
  /** Whether the fake Slack accepts messages during the second half of the burst (up to the crash). */
  readonly okBeforeCrash: boolean;
}

const scenarios: Scenario[] = [
  // Every notification its own message; Slack accepts messages right up to the crash, so the
  // crash can fall between a post and its done-mark (a possible duplicate).
  { name: 'digests off (digest_threshold 1000)', tag: 'a', digestThreshold: 1000, okBeforeCrash: true },
  // The default threshold: the backlog left by the crash arrives as digests.
  { name: 'digests on (digest_threshold 10)', tag: 'b', digestThreshold: 10, okBeforeCrash: false },
];

for (const s of scenarios) {
  t.test(`SIGKILL mid-burst loses nothing that was acknowledged: ${s.name}`, async (t) => {
    const started = Date.now();
    const tmp = tempDir(`durability-${s.tag}`);
    t.teardown(tmp.remove);
    const fake = await FakeSlack.start();
    t.teardown(() => fake.close());
    fake.setMode(PATH, { kind: 'serverError' }); // Slack is down at first: the burst piles up in the outbox

    const configFile = writeRelayConfig(tmp.dir, {
      listen_address: '127.0.0.1:0',
      data_dir: join(tmp.dir, 'data'),
      destinations: [{ name: 'slack', type: 'slack', webhook_url: '${TOCSIN_DURABILITY_SLACK}' }],
      delivery: { min_interval: '50ms', timeout: '1s', digest_threshold: s.digestThreshold },
    });
    const env = { TOCSIN_DURABILITY_SLACK: fake.url(PATH) };
    const processes: RelayProcess[] = [];
    t.teardown(async () => {
      for (const p of processes) await p.kill();
    });
    const first = await startRelayProcess({ configFile, env });
    processes.push(first);

    const ids = Array.from({ length: N }, (_, i) => `dur-${s.tag}-${String(i).padStart(4, '0')}`);
    const accepted = new Set<number>();
    const firstOutcomes = new Map<number, Outcome>();
    const record = (i: number, o: Outcome) => {
      firstOutcomes.set(i, o);
      if (o === 'accepted') accepted.add(i);
    };
    const describe = () =>
      `accepted ${accepted.size}; fake Slack: ${fake.requests.length} requests, ` +
      `${arrivals(fake.requests).seen.size} distinct ids seen\nrelay stderr (tail):\n${processes.at(-1)?.stderr().slice(-3000)}`;

    // First half of the burst while Slack answers 500.
    const half = Array.from({ length: N / 2 }, (_, i) => i);
    await burst(first.url, ids, half, record);
    t.equal(accepted.size, N / 2, 'first half: every notification acknowledged with 200 "accepted"');
    t.ok(fake.requestsTo(PATH).some((r) => r.status === 500), 'the relay tried Slack and got 500');

    if (s.okBeforeCrash) {
      // Slack comes back; wait until deliveries are flowing (bounded by the backoff, at most ~1+2+4 s).
      fake.setMode(PATH, { kind: 'ok' });
      await pollUntil(() => fake.requestsTo(PATH).filter((r) => r.status === 200).length >= 3, 15_000, describe);
    } else {
      // Let one 500 cycle pass so some deliveries are in backoff at the crash.
      await pollUntil(() => fake.requestsTo(PATH).filter((r) => r.status === 500).length >= 2, 15_000, describe);
    }
    const deliveredBeforeCrash = fake.requestsTo(PATH).filter((r) => r.status === 200).length;

    // Second half; SIGKILL once a quarter of N more were acknowledged, with requests still in flight.
    let crash: Promise<void> | undefined;
    const second = Array.from({ length: N / 2 }, (_, i) => N / 2 + i);
    await burst(
      first.url,
      ids,
      second,
      (i, o) => {
        record(i, o);
        if (!crash && accepted.size >= (3 * N) / 4) crash = first.kill();
      },
      () => crash !== undefined,
    );
    await crash;
    t.ok(crash !== undefined, 'the relay was killed during the burst');
    t.equal(first.child.signalCode, 'SIGKILL', 'killed with SIGKILL');
    const acceptedBeforeCrash = new Set(accepted);
    const cut = second.filter((i) => firstOutcomes.get(i) === 'error').length;
    const unsent = second.filter((i) => !firstOutcomes.has(i)).length;
    t.comment(
      `before the crash: ${acceptedBeforeCrash.size} acknowledged, ${cut} requests cut by the crash, ${unsent} not sent yet, ` +
        `${deliveredBeforeCrash}+ messages delivered`,
    );
    t.same(
      [...firstOutcomes.values()].filter((o) => o !== 'accepted' && o !== 'error'),
      [],
      'before the crash every answer was 200 "accepted" (or the request was cut by the crash)',
    );

    // A new process on the same data_dir; Slack answers ok.
    fake.setMode(PATH, { kind: 'ok' });
    const second2 = await startRelayProcess({ configFile, env });
    processes.push(second2);
    // The startup log line that reports the outbox replay ("relay started" or "relay listening").
    const pendingFromLastRun =
      second2
        .stderr()
        .split('\n')
        .filter((l) => l.includes('pendingFromLastRun'))
        .map((l) => (JSON.parse(l) as { pendingFromLastRun?: unknown }).pendingFromLastRun)
        .find((v): v is number => typeof v === 'number') ?? -1;
    t.ok(pendingFromLastRun > 0, `the new process found ${pendingFromLastRun} undelivered notifications in the outbox`);

    // Alertmanager's retries: everything not acknowledged goes to the new process.
    const retry = ids.map((_, i) => i).filter((i) => !accepted.has(i));
    const retryOutcomes = new Map<number, Outcome>();
    await burst(second2.url, ids, retry, (i, o) => {
      retryOutcomes.set(i, o);
      // "duplicate": the crashed process had stored it but its answer was cut; still acknowledged.
      if (o === 'accepted' || o === 'duplicate') accepted.add(i);
    });
    t.equal(accepted.size, N, `after the restart all ${retry.length} remaining notifications were acknowledged`);
    const retriedDuplicates = [...retryOutcomes.values()].filter((o) => o === 'duplicate').length;

    // Every acknowledged notification arrives at least once.
    await pollUntil(
      () => {
        const { seen } = arrivals(fake.requests);
        return [...accepted].every((i) => seen.has(ids[i]!));
      },
      WAIT_MS,
      () => {
        const { seen } = arrivals(fake.requests);
        const missing = [...accepted].filter((i) => !seen.has(ids[i]!)).map((i) => ids[i]);
        return `${missing.length} acknowledged notifications never arrived (${missing.slice(0, 10).join(', ')}…); ${describe()}`;
      },
    );
    const { seen, hiddenGroups, digests } = arrivals(fake.requests);
    const lost = [...acceptedBeforeCrash].filter((i) => !seen.has(ids[i]!));
    t.same(lost, [], 'zero lost: every notification acknowledged before the crash was delivered');
    t.equal(hiddenGroups, 0, 'no digest folded groups into "…and N more" (each notification is visible)');
    const duplicates = [...seen.entries()].filter(([, n]) => n > 1);
    const dupOfCut = duplicates.filter(([id]) => firstOutcomes.get(ids.indexOf(id)) === 'error').length;
    // A request cut by the crash after its notification was stored is still pending in the outbox
    // (it is at the tail, behind everything undelivered), so the new process must recognise
    // Alertmanager's retry of it as a duplicate instead of storing and posting it twice.
    t.equal(dupOfCut, 0, 'a retry of a request the crash cut after storing does not post the notification twice');

    // The new process's own account.
    await pollUntil(async () => metric(await metrics(second2.url), 'tocsin_relay_outbox_depth') === 0, WAIT_MS, describe);
    const exp = await metrics(second2.url);
    t.equal(metric(exp, 'tocsin_relay_outbox_depth'), 0, 'tocsin_relay_outbox_depth is 0 after the restart');
    t.equal(metric(exp, 'tocsin_relay_dead_letters'), 0, 'no dead letters');
    const deadLetters = await (await fetch(`${second2.url}/api/v1/dead-letters`)).json();
    t.same(deadLetters, [], '/api/v1/dead-letters is empty');
    const redeliveries = metric(exp, 'tocsin_relay_redeliveries_total', { destination: 'slack' });

    t.comment(
      `${s.name}: N=${N}, acknowledged before the crash ${acceptedBeforeCrash.size}, pending at restart ${pendingFromLastRun}, ` +
        `re-posted after the crash ${retry.length} (${retriedDuplicates} recognised as already stored); delivered ${seen.size} distinct in ${fake.requestsTo(PATH).filter((r) => r.status === 200).length} ` +
        `messages (${digests} digests); lost 0; duplicates ${duplicates.length} ` +
        `(${dupOfCut} of them re-posted requests that the crash had cut after storing; ${duplicates.length - dupOfCut} done-marks lost); ` +
        `relay's tocsin_relay_redeliveries_total ${redeliveries}; took ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    if (duplicates.length > 0) t.comment(`duplicated: ${duplicates.map(([id, n]) => `${id}×${n}`).join(', ')}`);
    t.ok(Date.now() - started < 60_000, 'the scenario took less than 60 s');
  });
}
