// Reload, as Prometheus and Alertmanager do it: SIGHUP and POST /-/reload re-read the config
// file (and the web config file). A file that does not load changes nothing: the running
// configuration stays, the log says what is wrong (the path of the field), /-/reload answers
// 500 with the same message, and tocsin_config_last_reload_successful drops to 0. A good file
// is applied to every server of the process; what only a restart can change is logged and
// shown as tocsin_config_restart_required.
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { changedPaths, type RunningServer } from '../http/listen.js';
import type { WebConfig, WebSettings } from '../http/web-config.js';
import type { ReloadStatus } from '../telemetry/reload-status.js';

export interface ReloaderOptions {
  /** Reads the files again, with the command line's overrides applied; rejects naming what is wrong. */
  readonly load: () => Promise<{ config: Config; web: WebConfig }>;
  readonly started: Config;
  readonly web: WebSettings;
  readonly status: ReloadStatus;
  readonly logger: Logger;
}

/** The servers a command started, and how to reload them (for SIGHUP). */
export interface Running {
  readonly servers: readonly RunningServer[];
  reload(): Promise<void>;
}

export class Reloader {
  private servers: readonly RunningServer[] = [];
  // One reload at a time: a SIGHUP during a /-/reload waits for it, then reads the file again.
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly o: ReloaderOptions) {}

  attach(servers: readonly RunningServer[]): Running {
    this.servers = servers;
    return { servers, reload: () => this.reload() };
  }

  reload(): Promise<void> {
    const run = this.queue.then(() => this.run());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(): Promise<void> {
    const log = this.o.logger;
    let next: { config: Config; web: WebConfig };
    try {
      next = await this.o.load();
    } catch (err) {
      this.o.status.failed();
      log.error({ err: (err as Error).message }, 'reload failed: keeping the running configuration');
      throw err;
    }
    // Settings fixed when the process started (the logger, the stack's children).
    const restart = [
      ...changedPaths('log', this.o.started.log, next.config.log, Object.keys(next.config.log)),
      ...changedPaths('stack', this.o.started.stack, next.config.stack, Object.keys(next.config.stack)),
    ];
    try {
      for (const server of this.servers) if (server.reconfigure) restart.push(...(await server.reconfigure(next.config)));
      restart.push(...this.o.web.update(next.web).map((path) => `web config ${path}`));
    } catch (err) {
      this.o.status.failed();
      log.error({ err: (err as Error).message }, 'reload failed while applying the configuration');
      throw err;
    }
    this.o.status.succeeded(restart);
    log.info('configuration reloaded');
    if (restart.length) log.warn({ settings: restart }, 'configuration changes that need a restart to take effect');
  }
}
