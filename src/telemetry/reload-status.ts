// The outcome of the last configuration reload, as Prometheus and Alertmanager report theirs:
// tocsin_config_last_reload_successful and tocsin_config_last_reload_success_timestamp_seconds,
// plus tocsin_config_restart_required for changes a reload cannot apply (listen addresses,
// data directory). One status per process, shown on every /metrics the process serves.
import { Gauge, type Registry } from 'prom-client';

export class ReloadStatus {
  successful = true;
  /** Start counts as the first successful load. */
  lastSuccessSeconds = Date.now() / 1000;
  /** Config paths whose new value waits for a restart; empty when the file matches what runs. */
  restartRequired: readonly string[] = [];

  succeeded(restartRequired: readonly string[]): void {
    this.successful = true;
    this.lastSuccessSeconds = Date.now() / 1000;
    this.restartRequired = restartRequired;
  }

  failed(): void {
    this.successful = false;
  }

  /** Adds the three gauges to `registry`; they read this status at each scrape. */
  register(registry: Registry): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const status = this;
    new Gauge({
      name: 'tocsin_config_last_reload_successful',
      help: 'Whether the last configuration reload attempt was successful.',
      registers: [registry],
      collect() {
        this.set(status.successful ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tocsin_config_last_reload_success_timestamp_seconds',
      help: 'Timestamp of the last successful configuration reload (or of the start).',
      registers: [registry],
      collect() {
        this.set(status.lastSuccessSeconds);
      },
    });
    new Gauge({
      name: 'tocsin_config_restart_required',
      help: 'Whether the configuration file holds changes that only a restart applies (see the log).',
      registers: [registry],
      collect() {
        this.set(status.restartRequired.length > 0 ? 1 : 0);
      },
    });
  }
}
