// The relay's shared state: what replicas must agree on so that two of them behind one address
// send each notification once and keep one Slack thread per incident: the duplicate window and
// the Slack app's thread map. One relay keeps both to itself (memory, and slack-threads.json);
// with relay.shared_state.redis they live in Redis, and each replica keeps its own outbox (it
// delivers what it accepted, after a restart too) and its own copy of the threads it touched.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { RelayConfig } from '../../config/schema.js';
import { secretRedactor } from '../../config/secret.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import type { Deduper } from '../dedupe.js';
import type { ThreadStore } from '../slack-app/thread-store.js';
import { LocalDuplicateWindow, RedisDuplicateWindow, type DuplicateWindow } from './duplicates.js';
import { SharedStateHealth } from './health.js';
import { connectRedis } from './redis.js';
import { LocalThreadMap, RedisThreadMap, type ThreadMap } from './threads.js';

export { ClaimBusyError, type DuplicateWindow } from './duplicates.js';
export type { ThreadMap } from './threads.js';

export const REPLICA_ID_FILE = 'replica-id';
/** A parent claim outlives the longest parent post: this much beyond two delivery timeouts. */
const CLAIM_MARGIN_MS = 20_000;

export interface SharedState {
  readonly duplicates: DuplicateWindow;
  readonly threads: ThreadMap;
  /** Where it is kept, for the start-up log line. */
  readonly kind: 'local' | 'redis';
  close(): Promise<void>;
}

export interface SharedStateOptions {
  readonly config: RelayConfig;
  readonly dataDir: string;
  /** This relay's own window (seeded with what its outbox still holds). */
  readonly deduper: Deduper;
  /** This relay's own thread file. */
  readonly threadStore: ThreadStore;
  readonly registry: Registry;
  readonly logger: Logger;
}

export async function openSharedState(o: SharedStateOptions): Promise<SharedState> {
  const redisConfig = o.config.shared_state.redis;
  const local = new LocalDuplicateWindow(o.deduper);
  if (redisConfig === undefined) {
    return { duplicates: local, threads: new LocalThreadMap(o.threadStore), kind: 'local', close: async () => undefined };
  }
  const password = redisConfig.password?.reveal();
  const health = new SharedStateHealth(o.registry, o.logger.child({ module: 'shared-state' }), secretRedactor(password ? [password] : []));
  const replicaId = await ownReplicaId(o.dataDir);
  const redis = await connectRedis(redisConfig, health);
  const windowMs = o.config.dedupe_window * 1000;
  return {
    // dedupe_window 0 turns duplicate detection off; only this process's in-flight guard remains.
    duplicates: windowMs > 0 ? new RedisDuplicateWindow(redis, health, { windowMs }) : local,
    threads: new RedisThreadMap(redis, o.threadStore, health, { replicaId, claimTtlMs: 2 * o.config.delivery.timeout * 1000 + CLAIM_MARGIN_MS }),
    kind: 'redis',
    close: () => redis.close(),
  };
}

/** This replica's name in claims: made once, kept in its data directory across restarts. */
async function ownReplicaId(dataDir: string): Promise<string> {
  const file = join(dataDir, REPLICA_ID_FILE);
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await writeFileAtomic(file, `${id}\n`);
  return id;
}
