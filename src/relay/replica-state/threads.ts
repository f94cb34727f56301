// The Slack app's group-key -> thread map, kept by one relay (slack-app/thread-store.ts, a file in
// its data directory) or shared by replicas (Redis, with that file as each replica's own copy).
//
// Across replicas, a new incident must get one parent message, not one per replica: before
// posting a parent, a replica claims the group (SET NX PX on `thread-claim:<destination,group>`,
// holding its replica id). The replica that gets it reads the map again (the previous holder may
// have just finished), posts the parent, records the thread, and lets the claim go; another
// replica asking meanwhile is told to wait: its delivery is retried by its outbox (the entry stays
// pending) until the thread is recorded, and then it edits that parent and replies in its thread.
// A replica that dies holding a claim gets it back when it restarts (same replica id, kept in its
// data directory); otherwise the claim expires after claimTtlMs.
//
// Records in Redis are JSON under `thread:<destination,group>`, expiring after MAX_IDLE_MS like the
// file's; every write goes to the file first (durable, this replica's own copy) and then to Redis.
// Redis down: reads fall back to the file (threads this replica started or continued go on there),
// claims are granted (a new incident may then get a parent from each replica), writes to Redis are
// skipped. Counted and logged once per outage (health.ts). Nothing the outbox holds is lost.
import { createHash } from 'node:crypto';
import { MAX_IDLE_MS, type ThreadRecord, type ThreadStore } from '../slack-app/thread-store.js';
import type { SharedStateHealth } from './health.js';
import type { RedisConnection } from './redis.js';

export type ThreadPut = Parameters<ThreadStore['put']>[0];

/** The right to post a new parent for a group; release it once the thread is recorded (or not). */
export interface ParentClaim {
  release(): Promise<void>;
}

export interface ThreadMap {
  get(destination: string, groupKey: string): Promise<ThreadRecord | undefined>;
  /** Stores a record; resolves once this replica's copy is on disk. */
  put(record: ThreadPut, entryIds: readonly string[]): Promise<ThreadRecord>;
  /** The right to post a parent for the group, or undefined while another replica holds it. */
  claimParent(destination: string, groupKey: string): Promise<ParentClaim | undefined>;
}

const NO_CLAIM: ParentClaim = { release: async () => undefined };

/** One relay: the file, and nobody to compete with. */
export class LocalThreadMap implements ThreadMap {
  constructor(private readonly store: ThreadStore) {}

  async get(destination: string, groupKey: string): Promise<ThreadRecord | undefined> {
    return this.store.get(destination, groupKey);
  }

  put(record: ThreadPut, entryIds: readonly string[]): Promise<ThreadRecord> {
    return this.store.put(record, entryIds);
  }

  async claimParent(): Promise<ParentClaim> {
    return NO_CLAIM;
  }
}

// KEYS: claim. ARGV: replica id, ttl (ms). 1 when the claim is (now) ours.
const CLAIM = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
// KEYS: claim. ARGV: replica id.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisThreadMapOptions {
  /** This replica, as it names itself in claims (stable across its restarts). */
  readonly replicaId: string;
  /** How long a claim holds when its holder never lets it go (it died): longer than a parent post. */
  readonly claimTtlMs: number;
}

export class RedisThreadMap implements ThreadMap {
  constructor(
    private readonly redis: RedisConnection,
    private readonly local: ThreadStore,
    private readonly health: SharedStateHealth,
    private readonly o: RedisThreadMapOptions,
  ) {}

  async get(destination: string, groupKey: string): Promise<ThreadRecord | undefined> {
    const own = this.local.get(destination, groupKey);
    let text: string | null;
    try {
      text = await this.redis.client.get(this.key('thread', destination, groupKey));
      this.health.ok();
    } catch (err) {
      this.health.failed('threads', err);
      return own;
    }
    // Absent from Redis but known here: Redis lost it (restarted without its data); this
    // replica's copy is better than a second thread.
    return (text === null ? undefined : parseRecord(text)) ?? own;
  }

  async put(record: ThreadPut, entryIds: readonly string[]): Promise<ThreadRecord> {
    const stored = await this.local.put(record, entryIds);
    try {
      await this.redis.client.set(this.key('thread', record.destination, record.groupKey), JSON.stringify(stored), 'PX', MAX_IDLE_MS);
      this.health.ok();
    } catch (err) {
      // The message is in Slack and the thread on this replica's disk: report it delivered. The
      // other replicas may start a new thread for the group's next notice.
      this.health.failed('threads', err);
    }
    return stored;
  }

  async claimParent(destination: string, groupKey: string): Promise<ParentClaim | undefined> {
    const key = this.key('thread-claim', destination, groupKey);
    let answer: unknown;
    try {
      answer = await this.redis.client.eval(CLAIM, 1, key, this.o.replicaId, this.o.claimTtlMs);
      this.health.ok();
    } catch (err) {
      this.health.failed('claims', err);
      return NO_CLAIM; // fail open: post the parent
    }
    if (answer !== 1) return undefined;
    return {
      release: async () => {
        try {
          await this.redis.client.eval(RELEASE, 1, key, this.o.replicaId);
        } catch (err) {
          this.health.failed('claims', err); // it expires by itself
        }
      },
    };
  }

  private key(kind: string, destination: string, groupKey: string): string {
    // Group keys are Alertmanager's route path and labels: long, and any characters.
    const id = createHash('sha256').update(`${destination}\u0000${groupKey}`).digest('base64url');
    return `${this.redis.prefix}${kind}:${id}`;
  }
}

function parseRecord(text: string): ThreadRecord | undefined {
  try {
    const r = JSON.parse(text) as ThreadRecord;
    if (typeof r?.destination === 'string' && typeof r.groupKey === 'string' && typeof r.ts === 'string' && Array.isArray(r.applied)) return r;
  } catch {
    // not ours, or damaged: as if absent
  }
  return undefined;
}
