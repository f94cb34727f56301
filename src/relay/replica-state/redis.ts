// The Redis connection the replicas share (ioredis), set up to fail fast rather than wait: no
// offline queue (a command while disconnected fails at once), a timeout per command, and
// reconnection in the background. Callers treat every failure as "Redis is down" and go on
// without it (health.ts); nothing here throws at start, so a relay starts while Redis is away.
import { Redis } from 'ioredis';
import type { RedisSharedStateConfig } from '../../config/schema.js';
import { withDeadline } from '../../util/deadline.js';
import type { SharedStateHealth } from './health.js';

/** Between reconnection attempts: quickly at first, then every 2 s. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface RedisConnection {
  readonly client: Redis;
  /** Every key starts with this. */
  readonly prefix: string;
  close(): Promise<void>;
}

export async function connectRedis(c: RedisSharedStateConfig, health: SharedStateHealth): Promise<RedisConnection> {
  const [host, port] = splitAddress(c.address);
  const client = new Redis({
    host,
    port,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password.reveal() } : {}),
    db: c.db,
    connectTimeout: c.timeoutMs,
    commandTimeout: c.timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Never gives up: a Redis that comes back (or gets the right password) is used again.
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    lazyConnect: false,
  });
  // Without a listener ioredis prints every connection error to the console itself.
  client.on('error', (err: unknown) => health.markDown('connection', err));
  client.on('ready', () => health.ok());
  // The first requests should not all fail because the connection is still being made.
  // (events.once would reject at the first connection error; a refused connection is retried.)
  let onReady = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  client.once('ready', onReady);
  const waited = await withDeadline(ready, { ms: c.timeoutMs + 500 });
  client.off('ready', onReady);
  if (!waited.done) health.markDown('connection', new Error(`no connection to ${c.address} within ${c.timeoutMs} ms`));
  return {
    client,
    prefix: c.keyPrefix,
    async close() {
      client.disconnect(false);
    },
  };
}

function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(address.slice(i + 1))];
}
