// The duplicate window, kept by one relay (in its memory) or shared by replicas (in Redis).
//
// A notification is claimed before it is stored and the claim is committed once the outbox has
// it (or released when storing failed, so Alertmanager's retry is not taken for a duplicate):
// - local: Deduper's rule (the same content as the last accepted for its group, within the
//   window) plus the keys being stored right now in this process;
// - Redis: the same rule across replicas, in one atomic script per claim. `last:<group>` holds
//   the content last committed for the group (expiring with the window); `storing:<group>:<content>`
//   is taken with SET NX PX while a replica stores that notification. A second replica (or a
//   retry) arriving meanwhile waits for the claim to be committed (then it is a duplicate) or to
//   go (released, or expired because the holder died before storing: then it claims it itself),
//   and answers 503 if it is still held after CLAIM_WAIT_MS: Alertmanager retries. So a
//   notification is never answered 200 by a replica that did not store it unless another
//   replica committed it, i.e. stored it first.
// Redis down: the claim fails open (the notification is stored and delivered, counted and logged
// once per outage by health.ts); duplicates may then reach Slack, nothing is lost.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deduper, NotificationKey } from '../dedupe.js';
import type { SharedStateHealth } from './health.js';
import type { RedisConnection } from './redis.js';

export type DuplicateClaim =
  | { readonly outcome: 'duplicate' }
  | {
      readonly outcome: 'claimed';
      /** The notification is durably stored: later copies are duplicates. */
      commit(): Promise<void>;
      /** It could not be stored: a retry must be accepted. */
      release(): Promise<void>;
    };

export interface DuplicateWindow {
  claim(key: NotificationKey): Promise<DuplicateClaim>;
}

/** Another replica holds the claim for this very notification for longer than we wait. */
export class ClaimBusyError extends Error {
  constructor() {
    super('another relay replica is storing the same notification; retry');
    this.name = 'ClaimBusyError';
  }
}

const DUPLICATE = { outcome: 'duplicate' } as const;

/** One relay: the Deduper in memory, and what this process is storing right now. */
export class LocalDuplicateWindow implements DuplicateWindow {
  // Keys being stored right now: a replica's copy arriving mid-fsync is a duplicate too.
  private readonly storing = new Set<string>();

  constructor(private readonly deduper: Deduper) {}

  async claim(key: NotificationKey): Promise<DuplicateClaim> {
    const id = `${key.group} ${key.content}`;
    if (this.storing.has(id) || this.deduper.isDuplicate(key)) return DUPLICATE;
    this.storing.add(id);
    return {
      outcome: 'claimed',
      commit: async () => {
        this.storing.delete(id);
        this.deduper.remember(key);
      },
      release: async () => {
        this.storing.delete(id);
      },
    };
  }
}

// KEYS: last, storing. ARGV: content, token, storing ttl (ms). 0 duplicate, 1 claimed, 2 busy.
const CLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 2`;
// KEYS: last, storing. ARGV: content, token, window (ms).
const COMMIT = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1`;
// KEYS: storing. ARGV: token.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** How long a replica may hold a claim while storing; past it (the holder died) another may take it. */
export const STORING_TTL_MS = 15_000;
/** How long a request waits for another replica's claim on the same notification. */
export const CLAIM_WAIT_MS = 3_000;
const CLAIM_POLL_MS = 25;

export interface RedisDuplicateWindowOptions {
  readonly windowMs: number;
  readonly storingTtlMs?: number;
  readonly claimWaitMs?: number;
}

/** Two or more replicas: the window in Redis. */
export class RedisDuplicateWindow implements DuplicateWindow {
  private readonly storingTtlMs: number;
  private readonly claimWaitMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly health: SharedStateHealth,
    private readonly o: RedisDuplicateWindowOptions,
  ) {
    this.storingTtlMs = o.storingTtlMs ?? STORING_TTL_MS;
    this.claimWaitMs = o.claimWaitMs ?? CLAIM_WAIT_MS;
  }

  async claim(key: NotificationKey): Promise<DuplicateClaim> {
    const last = `${this.redis.prefix}dedupe:last:${key.group}`;
    const storing = `${this.redis.prefix}dedupe:storing:${key.group}:${key.content}`;
    const token = randomUUID();
    const deadline = Date.now() + this.claimWaitMs;
    for (;;) {
      let answer: unknown;
      try {
        answer = await this.redis.client.eval(CLAIM, 2, last, storing, key.content, token, this.storingTtlMs);
        this.health.ok();
      } catch (err) {
        this.health.failed('duplicates', err);
        // Fail open: stored and delivered; nothing to commit where nothing answers.
        return { outcome: 'claimed', commit: async () => undefined, release: async () => undefined };
      }
      if (answer === 0) return DUPLICATE;
      if (answer === 1) return this.claimed(last, storing, key.content, token);
      if (Date.now() >= deadline) throw new ClaimBusyError();
      await sleep(CLAIM_POLL_MS);
    }
  }

  private claimed(last: string, storing: string, content: string, token: string): DuplicateClaim {
    return {
      outcome: 'claimed',
      commit: async () => {
        try {
          await this.redis.client.eval(COMMIT, 2, last, storing, content, token, this.o.windowMs);
          this.health.ok();
        } catch (err) {
          // Stored anyway: the worst outcome is a duplicate from another replica, never a loss.
          this.health.failed('duplicates', err);
        }
      },
      release: async () => {
        try {
          await this.redis.client.eval(RELEASE, 1, storing, token);
          this.health.ok();
        } catch (err) {
          // The claim expires by itself after storingTtlMs.
          this.health.failed('duplicates', err);
        }
      },
    };
  }
}
