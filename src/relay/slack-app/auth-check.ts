// Is each slack_app destination's bot token good? Asked with auth.test (https://api.slack.com/methods/auth.test)
// at start, on every reload, and again every recheck interval while Slack refuses one; each
// delivery's answer counts too (a token revoked while the relay runs is refused by chat.postMessage).
//
// A refused token does not stop the relay: it starts, accepts and stores notifications as usual,
// and the destination is held (the dispatcher's `unauthorized` queue state), so what arrives waits
// in the outbox instead of being dead-lettered one notice at a time. Once the token is fixed (a new
// token file and a reload, or the app reinstalled) the next check releases the queue and everything
// that waited is sent. Slack being unreachable says nothing about the token: the destination is not
// held, and deliveries retry as for any outage.
//
// The token never leaves this file's calls: logs carry the destination, Slack's error code, and on
// success the workspace and bot user auth.test names (not secrets).
import type { Logger } from 'pino';
import type { Destination } from '../delivery/integration.js';
import type { SlackAppMetrics } from './metrics.js';
import { SLACK_APP_TYPE } from './integration.js';
import { callSlack } from './web-api.js';

/** How often a refused token is asked about again. */
export const DEFAULT_AUTH_RECHECK_MS = 5 * 60_000;

type AuthState = 'ok' | 'refused';

export interface SlackAppAuthOptions {
  readonly metrics: SlackAppMetrics;
  readonly logger?: Logger;
  /** Per auth.test call. */
  readonly timeoutMs: number;
  readonly recheckMs?: number;
  /** Called when a destination is released (its queue can be sent). */
  readonly onRelease: () => void;
}

export class SlackAppAuth {
  private readonly states = new Map<string, { state: AuthState; error?: string }>();
  private destinations: readonly Destination[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly log: Logger | undefined;

  constructor(private readonly o: SlackAppAuthOptions) {
    this.log = o.logger?.child({ module: 'slack-app-auth' });
  }

  /** Whether the destination's token is known to be refused: its notifications wait. */
  held(destination: string): boolean {
    return this.states.get(destination)?.state === 'refused';
  }

  /** Checks every slack_app destination (at start, on reload); resolves when all have an answer. */
  async checkAll(destinations: readonly Destination[]): Promise<void> {
    this.destinations = destinations.filter((d) => d.type === SLACK_APP_TYPE && d.slackApp !== undefined);
    const names = new Set(this.destinations.map((d) => d.name));
    for (const name of [...this.states.keys()]) {
      if (names.has(name)) continue;
      this.states.delete(name);
      this.o.metrics.authOk.remove({ destination: name });
    }
    await Promise.all(this.destinations.filter((d) => d.enabled).map((d) => this.check(d)));
    this.schedule();
  }

  /** What a delivery learnt: Slack accepted the token (ok) or refused it with `error`. */
  report(destination: string, ok: boolean, error?: string): void {
    this.set(destination, ok ? { state: 'ok' } : { state: 'refused', ...(error !== undefined ? { error } : {}) }, 'delivery');
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async check(d: Destination): Promise<void> {
    const s = d.slackApp!;
    const controller = new AbortController();
    const answer = await callSlack('auth.test', {}, { token: s.botToken.reveal(), apiUrl: s.apiUrl, timeoutMs: this.o.timeoutMs, signal: controller.signal });
    if (this.closed) return;
    if (answer.ok) {
      const r = answer.result;
      this.set(d.name, { state: 'ok' }, 'auth.test', { team: r.team, user: r.user, user_id: r.user_id, bot_id: r.bot_id });
      return;
    }
    if (answer.outcome.kind === 'permanent' && answer.outcome.reason === 'authError') {
      this.set(d.name, { state: 'refused', error: answer.error ?? answer.outcome.detail }, 'auth.test');
      return;
    }
    // Slack down, rate-limited, or an answer that says nothing about the token: no verdict.
    this.log?.warn({ destination: d.name, detail: answer.outcome.detail }, 'cannot check the Slack app bot token now (auth.test); delivering as usual');
  }

  private set(destination: string, next: { state: AuthState; error?: string }, via: string, extra: Record<string, unknown> = {}): void {
    const was = this.states.get(destination);
    this.states.set(destination, next);
    this.o.metrics.authOk.set({ destination }, next.state === 'ok' ? 1 : 0);
    if (next.state === 'refused') {
      if (was?.state !== 'refused' || was.error !== next.error) {
        this.log?.error(
          { destination, error: next.error, via },
          'Slack refuses the bot token of this slack_app destination (invalid or revoked): its notifications are kept in the outbox and sent once the token is fixed (replace it and reload); checked again every ' +
            `${Math.round((this.o.recheckMs ?? DEFAULT_AUTH_RECHECK_MS) / 1000)}s`,
        );
      }
      this.schedule();
      return;
    }
    if (was?.state === 'refused') {
      this.log?.info({ destination, via, ...extra }, 'Slack accepts the bot token again; sending what waited');
      this.o.onRelease();
    } else if (via === 'auth.test') {
      this.log?.info({ destination, ...extra }, 'Slack app bot token accepted (auth.test)');
    }
  }

  /** While a token is refused, asks again every recheck interval. */
  private schedule(): void {
    if (this.closed || this.timer) return;
    if (![...this.states.values()].some((s) => s.state === 'refused')) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const refused = this.destinations.filter((d) => d.enabled && this.held(d.name));
      void Promise.all(refused.map((d) => this.check(d))).finally(() => this.schedule());
    }, this.o.recheckMs ?? DEFAULT_AUTH_RECHECK_MS);
    this.timer.unref();
  }
}
