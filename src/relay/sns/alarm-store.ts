// The last state of each CloudWatch alarm seen, kept in data_dir/sns-alarms.json so that an OK
// after a restart still says how long the alarm lasted, and an old state change replayed after a
// restart is recognised. Written whole and atomically (util/atomic-file.ts) on every change: SNS
// alarm traffic is a few messages a minute. Bounded: the alarms changed longest ago go first.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { removeStaleTempFiles, writeFileAtomic } from '../../util/atomic-file.js';
import { ALARM_STATES, type AlarmRecord } from '../cloudwatch.js';

export const ALARM_STORE_FILE = 'sns-alarms.json';
const MAX_ALARMS = 10_000;
const SEVERITIES = new Set(['critical', 'warning', 'info']);

export class AlarmStore {
  // Serialises read-modify-write of one alarm against another request for it.
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly alarms: Map<string, AlarmRecord>,
  ) {}

  static async open(dataDir: string, logger: Logger): Promise<AlarmStore> {
    const file = join(dataDir, ALARM_STORE_FILE);
    await removeStaleTempFiles(file);
    const alarms = new Map<string, AlarmRecord>();
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== undefined) {
      try {
        const parsed = JSON.parse(text) as { alarms?: Record<string, unknown> };
        for (const [k, v] of Object.entries(parsed.alarms ?? {})) {
          const r = v as Partial<AlarmRecord>;
          if (typeof r.changedAt !== 'number' || !(ALARM_STATES as readonly string[]).includes(r.state as string)) continue;
          alarms.set(k, {
            state: r.state!,
            changedAt: r.changedAt,
            ...(typeof r.since === 'number' ? { since: r.since } : {}),
            ...(SEVERITIES.has(r.severity as string) ? { severity: r.severity! } : {}),
          });
        }
      } catch {
        // Losing it costs the "lasted" of alarms firing now, not a notification: start empty.
        logger.warn({ file }, 'CloudWatch alarm states unreadable: starting without them');
      }
    }
    return new AlarmStore(file, alarms);
  }

  get(key: string): AlarmRecord | undefined {
    return this.alarms.get(key);
  }

  /**
   * Runs `fn` with the alarm's record, alone for this store; when it returns a record, that is
   * written (durably) before the result is handed back.
   */
  update<T>(key: string, fn: (previous: AlarmRecord | undefined) => Promise<{ record?: AlarmRecord; result: T }>): Promise<T> {
    const run = this.chain.then(async () => {
      const { record, result } = await fn(this.alarms.get(key));
      if (record !== undefined) await this.put(key, record);
      return result;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async put(key: string, record: AlarmRecord): Promise<void> {
    const before = this.alarms.get(key);
    this.alarms.delete(key); // re-inserted last: the Map's order is the order of changes
    this.alarms.set(key, record);
    while (this.alarms.size > MAX_ALARMS) this.alarms.delete(this.alarms.keys().next().value!);
    try {
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, alarms: Object.fromEntries(this.alarms) }));
    } catch (err) {
      if (before === undefined) this.alarms.delete(key);
      else this.alarms.set(key, before);
      throw err;
    }
  }
}
