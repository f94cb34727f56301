// Starts the relay: outbox (crash recovery first), channel store, dispatcher, HTTP app.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Credentials } from '../http/auth.js';
import { changedPaths, parseListenAddress } from '../http/listen.js';
import { lockDirectory } from '../util/dir-lock.js';
import { createSelfRegistry } from '../telemetry/self-metrics.js';
import type { RunningServer } from '../http/listen.js';
import type { ServeContext } from '../http/server.js';
import { buildRelayApp } from './app.js';
import { ChannelStore } from './channels.js';
import { Deduper, notificationKey } from './dedupe.js';
import { Dispatcher } from './dispatcher.js';
import { Intake } from './intake.js';
import { RelayMetrics } from './metrics.js';
import { Outbox, type OutboxFs } from './outbox/index.js';
import { Router } from './routing.js';
import { createIntegrations } from './integrations.js';
import { ThreadStore } from './slack-app/thread-store.js';
import { SlackAppAuth } from './slack-app/auth-check.js';
import { SlackAppMetrics } from './slack-app/metrics.js';
import { SLACK_APP_TYPE } from './slack-app/integration.js';
import { withDeadline } from '../util/deadline.js';
import { stdoutWriter, type ConsoleWrite } from './console/integration.js';
import { AlarmStore } from './sns/alarm-store.js';
import { SnsMetrics } from './sns/metrics.js';
import { snsSettingsFor } from './sns/settings.js';
import { openSharedState } from './replica-state/index.js';

/**
 * How long start and reload wait for the Slack app's token checks before going on (Slack down
 * must not delay the relay; a later answer still holds or releases the destination).
 */
const AUTH_CHECK_WAIT_MS = 3_000;

export interface RelayOptions extends ServeContext {
  /** Where the console destination writes (stdout by default). */
  readonly consoleWrite?: ConsoleWrite;
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
  /** Applies a reloaded (validated) config; returns the paths that need a restart. */
  reconfigure(config: Config): Promise<string[]>;
}

/** Builds the relay and starts delivering what the outbox holds; does not listen. */
export async function createRelay(config: Config, logger: Logger, options: RelayOptions = {}): Promise<Relay> {
  // Replaced on reload: the closures below read it at delivery time.
  let rc = config.relay;
  const started = config.relay;
  const log = logger.child({ component: 'relay' });
  const dataDir = resolve(rc.data_dir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // One relay per data directory: a second one exits here, naming the holder's PID.
  const lock = await lockDirectory(dataDir);

  const registry = createSelfRegistry();
  options.reloadStatus?.register(registry);
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
  // The Slack app's incident threads (slack_app destinations); one store for the relay's life.
  const threadStore = await ThreadStore.open(dataDir, { logger: log }).catch(async (err: unknown) => {
    await outbox.close();
    await lock.release();
    throw err;
  });

  // A crash between the outbox sync and the 200 leaves a stored notification that Alertmanager
  // retries: remember what is still pending (within the window) so the retry is a duplicate.
  const deduper = new Deduper(rc.dedupe_window * 1000);
  const windowStart = Date.now() - rc.dedupe_window * 1000;
  for (const e of outbox.pending()) if (e.acceptedAt > windowStart) deduper.remember(notificationKey(e.notification));
  // The duplicate window and the thread map: this relay's own, or shared by replicas in Redis.
  const shared = await openSharedState({ config: rc, dataDir, deduper, threadStore, registry, logger: log }).catch(async (err: unknown) => {
    await outbox.close();
    await lock.release();
    throw err;
  });
  const threads = shared.threads;
  const slackAppMetrics = new SlackAppMetrics(registry);
  // This replica's own threads (with replicas, those it started or continued).
  slackAppMetrics.watchThreads(threadStore);
  const initSlackApp = () => {
    for (const c of channels.list()) if (c.type === SLACK_APP_TYPE) slackAppMetrics.initDestination(c.name);
  };
  initSlackApp();
  // Bot tokens checked at start and on reload; a refused one holds its destination (kept, not lost).
  const slackAuth = new SlackAppAuth({
    metrics: slackAppMetrics,
    logger: log,
    timeoutMs: rc.delivery.timeout * 1000,
    onRelease: () => dispatcher.kick(),
  });
  const checkTokens = () => withDeadline(slackAuth.checkAll(channels.list()), { ms: AUTH_CHECK_WAIT_MS });

  const consoleWrite = options.consoleWrite ?? stdoutWriter();
  // Rebuilt on reload (time zone, webhook timeout); the dispatcher is handed the new map.
  const integrationsFor = (r: typeof rc) =>
    createIntegrations({
      timeZone: r.time_zone,
      webhookTimeoutMs: r.delivery.timeout * 1000,
      consoleWrite,
      threads,
      slackAppMetrics,
      slackAppAuth: slackAuth,
      logger: log,
    });
  const integrations = integrationsFor(rc);
  const dispatcher = new Dispatcher({
    outbox,
    destination: (name) => channels.get(name),
    destinationNames: () => channels.list().map((c) => c.name),
    held: (name) => slackAuth.held(name),
    integrations,
    logger: log,
    metrics,
    pacing: pacingFor(rc),
  });
  metrics.watchQueues(dispatcher);
  // Enabling a channel (or adding the one a held queue waits for) sends what waited at once.
  channels.onChange(() => dispatcher.kick());
  // Re-driven dead letters (routes/dead-letters.ts) are pending again: deliver them now.
  outbox.onRedrive(() => dispatcher.kick());
  const routerFor = (r: typeof rc) => new Router(r.routes, r.default_destinations.length ? r.default_destinations : defaultDestinations(r.destinations));
  const intake = new Intake({
    outbox,
    router: routerFor(rc),
    channels,
    duplicates: shared.duplicates,
    metrics,
    suppressLabel: rc.suppress_label,
    logger: log,
    kick: () => dispatcher.kick(),
  });
  const alarmStore = await AlarmStore.open(dataDir, log).catch(async (err: unknown) => {
    await outbox.close();
    await shared.close();
    await lock.release();
    throw err;
  });
  // Replaced on reload (topics, severity rules, certificate host and CA).
  let sns = snsSettingsFor(rc.sns);
  const app = buildRelayApp({
    ...(options.web ? { web: options.web } : {}),
    ...(options.reload ? { reload: options.reload } : {}),
    ...(options.reloadStatus ? { reloadStatus: options.reloadStatus } : {}),
    intake,
    channels,
    outbox,
    metrics,
    registry,
    logger: log,
    webhookAuth: rc.auth,
    apiAuth: rc.api_auth,
    maxBodyBytes: rc.max_body_bytes,
    held: (name) => slackAuth.held(name),
    sns: {
      settings: () => sns,
      store: alarmStore,
      metrics: new SnsMetrics(registry),
      replayWindowMs: rc.sns.replay_window * 1000,
    },
  });

  // Before the first delivery, so a refused token holds its queue rather than dead-lettering it.
  await checkTokens();
  log.info({ dataDir, sharedState: shared.kind, pendingFromLastRun: outbox.depth(), destinations: channels.list().map((c) => c.name) }, 'relay started');
  dispatcher.start();
  return {
    app,
    outbox,
    channels,
    dispatcher,
    async close() {
      await app.close(); // stop accepting first
      slackAuth.close();
      await dispatcher.stop();
      await outbox.close();
      await shared.close();
      await lock.release();
    },
    // Destinations, routes (with their templates and mentions), default destinations, the
    // suppress label, the time zone and delivery settings change at once. The listener, the
    // data directory and what was built into the routes at start need a restart.
    async reconfigure(next) {
      rc = next.relay;
      channels.reconfigure(rc.destinations); // clears the notifier cache through onChange
      for (const c of channels.list()) metrics.initDestination(c.name);
      intake.reconfigure({ router: routerFor(rc), suppressLabel: rc.suppress_label });
      sns = snsSettingsFor(rc.sns);
      dispatcher.reconfigure(pacingFor(rc), integrationsFor(rc));
      initSlackApp();
      await checkTokens(); // a fixed token releases what waited
      dispatcher.kick(); // a destination that came back may have entries waiting
      log.info({ destinations: channels.list().map((c) => c.name), routes: rc.routes.length }, 'relay reconfigured');
      const restart = changedPaths('relay', started, rc, ['listen_address', 'data_dir', 'max_body_bytes', 'dedupe_window']);
      if (!sameSharedState(started, rc)) restart.push('relay.shared_state');
      if (started.sns.replay_window !== rc.sns.replay_window) restart.push('relay.sns.replay_window');
      if (!sameCredentials(started.auth, rc.auth)) restart.push('relay.auth');
      if (!sameCredentials(started.api_auth, rc.api_auth)) restart.push('relay.api_auth');
      return restart;
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
  return { url, close: () => relay.close(), reconfigure: (next) => relay.reconfigure(next) };
}

/** Compares credentials by value without letting them reach a message. */
function sameCredentials(a: Credentials, b: Credentials): boolean {
  const flat = (c: Credentials) => [c.bearerToken?.reveal(), c.basicAuth?.username, c.basicAuth?.password?.reveal()];
  return JSON.stringify(flat(a)) === JSON.stringify(flat(b));
}

/** The Redis settings, compared by value without letting the password reach a message. */
function sameSharedState(a: Config['relay'], b: Config['relay']): boolean {
  const flat = (r: Config['relay']) => {
    const x = r.shared_state.redis;
    return x === undefined ? null : [x.address, x.username, x.password?.reveal(), x.db, x.keyPrefix, x.timeoutMs];
  };
  return JSON.stringify(flat(a)) === JSON.stringify(flat(b));
}

function pacingFor(rc: Config['relay']) {
  return {
    minIntervalMs: rc.delivery.min_interval * 1000,
    digestThreshold: rc.delivery.digest_threshold,
    retryHorizonMs: rc.delivery.retry_horizon * 1000,
    baseBackoffMs: Math.round(rc.delivery.backoff_initial * 1000),
    maxBackoffMs: Math.round(rc.delivery.backoff_max * 1000),
    maxRetryAfterMs: Math.round(rc.delivery.max_retry_after * 1000),
  };
}

/** With no routes and no default_destinations: every notification goes to every destination. */
function defaultDestinations(destinations: readonly { name: string }[]): string[] {
  return destinations.map((d) => d.name);
}
