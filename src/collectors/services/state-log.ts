// One log line when a monitored server changes state (up -> down, down -> up, or down for a
// different reason), never one per scrape: a service collector reports a dead server as
// `<service>_up 0` and succeeds, so the scrape engine's own failure log does not apply.
import type { Logger } from 'pino';

export class StateLog {
  private readonly last = new Map<string, string | undefined>();

  constructor(
    private readonly logger: Logger,
    private readonly messages = { down: 'service not reachable', up: 'service reachable again' },
  ) {}

  /** Records this scrape's outcome for `target`: `error` undefined means it answered. */
  report(target: string, error: string | undefined, fields: Record<string, unknown> = {}): void {
    const known = this.last.has(target);
    const before = this.last.get(target);
    this.last.set(target, error);
    if (error !== undefined && error !== before) {
      this.logger.warn({ ...fields, target, err: error }, this.messages.down);
    } else if (error === undefined && known && before !== undefined) {
      this.logger.info({ ...fields, target }, this.messages.up);
    }
  }
}
