// Starts the relay: outbox (crash recovery first), channel store, dispatcher, HTTP app.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { parseListenAddress } from '../http/listen.js';
import { lockDirectory } from '../util/dir-lock.js';
import { createSelfRegistry } from '../telemetry/self-metrics.js';
import type { RunningServer } from '../http/listen.js';
import { buildRelayApp } from './app.js';
import { ChannelStore, type Channel } from './channels.js';
import { Deduper, notificationKey } from './dedupe.js';
import { Dispatcher } from './dispatcher.js';
import { Intake } from './intake.js';
import { RelayMetrics } from './metrics.js';
import { createConsoleNotifier, type Notifier } from './notifier.js';
import { Outbox, type OutboxFs } from './outbox/index.js';
import { Router } from './routing.js';
import { formatConsole, formatDigest, formatNotification } from './slack/format.js';
import { createWebhookNotifier } from './slack/webhook.js';
import type { OutboxEntry, SlackMessage } from './types.js';

export interface RelayOptions {
  /** Where the console destination writes (stdout by default). */
  readonly consoleWrite?: (text: string) => void;
  /** The outbox's file-system layer (tests inject one that fails like a full disk). */
  readonly outboxFs?: OutboxFs;
}

export interface Relay {
  readonly app: FastifyInstance;
  readonly outbox: Outbox;
  readonly channels: ChannelStore;
  readonly dispatcher: Dispatcher;
  /** Stops accepting, lets in-flight deliveries finish (briefly), closes the outbox. */
  close(): Promise<void>;
}

/** Builds the relay and starts delivering what the outbox holds; does not listen. */
export async function createRelay(config: Config, logger: Logger, options: RelayOptions = {}): Promise<Relay> {
  const rc = config.relay;
  const log = logger.child({ component: 'relay' });
  const dataDir = resolve(rc.data_dir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // One relay per data directory: a second one exits here, naming the holder's PID.
  const lock = await lockDirectory(dataDir);

  const registry = createSelfRegistry();
  const metrics = new RelayMetrics(registry);
  const outbox = await Outbox.open(dataDir, { logger: log, ...(options.outboxFs ? { fs: options.outboxFs } : {}) }).catch(async (err: unknown) => {
    await lock.release();
    throw err;
  });
  metrics.watchOutbox(outbox);
  const channels = await ChannelStore.open(dataDir, rc.destinations, log).catch(async (err: unknown) => {
    await outbox.close();
    await lock.release();
    throw err;
  });
  for (const c of channels.list()) metrics.initDestination(c.name);

  // Notifiers are cached per channel and rebuilt when the channel API changes one.
  const notifiers = new Map<string, Notifier>();
  channels.onChange(() => notifiers.clear());
  const consoleWrite = options.consoleWrite ?? ((text: string) => void process.stdout.write(`${text}\n`));
  const timeoutMs = rc.delivery.timeout * 1000;
  const notifierFor = (name: string): Notifier | undefined => {
    const channel: Channel | undefined = channels.get(name);
    if (!channel?.enabled) return undefined;
    let n = notifiers.get(name);
    if (!n) {
      n =
        channel.type === 'console'
          ? createConsoleNotifier(consoleWrite, (m) => m.text)
          : createWebhookNotifier({ url: channel.webhookUrl!.reveal(), timeoutMs });
      notifiers.set(name, n);
    }
    return n;
  };
  const format = (entries: readonly OutboxEntry[]): SlackMessage => {
    const first = entries[0]!;
    const opts = { timeZone: rc.time_zone, presentation: first.presentation };
    if (channels.get(first.destination)?.type === 'console') {
      // The console shows readable text; a digest is simply the notifications one after another.
      return { text: entries.map((e) => formatConsole(e.notification, opts)).join('\n\n') };
    }
    return entries.length === 1
      ? formatNotification(first.notification, opts)
      : formatDigest(entries.map((e) => e.notification), opts);
  };

  const dispatcher = new Dispatcher({
    outbox,
    notifierFor,
    format,
    logger: log,
    metrics,
    pacing: { minIntervalMs: rc.delivery.min_interval * 1000, digestThreshold: rc.delivery.digest_threshold },
  });
  // Re-driven dead letters (routes/dead-letters.ts) are pending again: deliver them now.
  outbox.onRedrive(() => dispatcher.kick());
  // A crash between the outbox sync and the 200 leaves a stored notification that Alertmanager
  // retries: remember what is still pending (within the window) so the retry is a duplicate.
  const deduper = new Deduper(rc.dedupe_window * 1000);
  const windowStart = Date.now() - rc.dedupe_window * 1000;
  for (const e of outbox.pending()) if (e.acceptedAt > windowStart) deduper.remember(notificationKey(e.notification));
  const intake = new Intake({
    outbox,
    router: new Router(rc.routes, rc.default_destinations.length ? rc.default_destinations : defaultDestinations(rc.destinations)),
    channels,
    deduper,
    metrics,
    suppressLabel: rc.suppress_label,
    logger: log,
    kick: () => dispatcher.kick(),
  });
  const app = buildRelayApp({
    intake,
    channels,
    outbox,
    metrics,
    registry,
    logger: log,
    webhookAuth: rc.auth,
    apiAuth: rc.api_auth,
    maxBodyBytes: rc.max_body_bytes,
  });

  log.info({ dataDir, pendingFromLastRun: outbox.depth(), destinations: channels.list().map((c) => c.name) }, 'relay started');
  dispatcher.start();
  return {
    app,
    outbox,
    channels,
    dispatcher,
    async close() {
      await app.close(); // stop accepting first
      await dispatcher.stop();
      await outbox.close();
      await lock.release();
    },
  };
}

export async function startRelay(config: Config, logger: Logger, options: RelayOptions = {}): Promise<RunningServer> {
  const relay = await createRelay(config, logger, options);
  const { host, port } = parseListenAddress(config.relay.listen_address);
  let url: string;
  try {
    url = await relay.app.listen({ host, port });
  } catch (err) {
    await relay.close();
    throw err;
  }
  logger.child({ component: 'relay' }).info({ address: url }, 'relay listening');
  return { url, close: () => relay.close() };
}

/** With no routes and no default_destinations: every notification goes to every destination. */
function defaultDestinations(destinations: readonly { name: string }[]): string[] {
  return destinations.map((d) => d.name);
}
