// The Slack app's own series (tocsin_relay_slack_app_*), on the relay's long-lived registry. Label
// values are destination names from the configuration: bounded.
// - auth_ok: the bot token's last check (auth.test at start, on reload and while refused; and each
//   delivery's answer): 1 accepted, 0 refused by Slack. No series until Slack answered once (a
//   Slack that cannot be reached says nothing about the token).
// - threads_open: incidents whose parent shows FIRING; thread_store_records: the whole store
//   (open and resolved threads kept for reuse_thread_within and late notices), bounded by
//   thread-store.ts MAX_RECORDS.
// - threads_started / parents_updated / replies_posted: what the integration did in Slack.
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the thread gauges read on each scrape (ThreadStore implements it). */
export interface ThreadGaugeSource {
  size(): number;
  openByDestination(): ReadonlyMap<string, number>;
}

export class SlackAppMetrics {
  readonly authOk: Gauge<'destination'>;
  readonly threadsStarted: Counter<'destination'>;
  readonly parentsUpdated: Counter<'destination'>;
  readonly repliesPosted: Counter<'destination'>;
  private threads: ThreadGaugeSource | undefined;
  private readonly known = new Set<string>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.authOk = new Gauge({
      name: 'tocsin_relay_slack_app_auth_ok',
      help: "Whether Slack accepted the slack_app destination's bot token when last asked (1) or refused it (0: invalid, revoked; its notifications wait in the outbox).",
      labelNames: ['destination'] as const,
      registers,
    });
    this.threadsStarted = new Counter({
      name: 'tocsin_relay_slack_app_threads_started_total',
      help: 'Incident threads started: parent messages posted (a parent replacing one that could no longer be edited included).',
      labelNames: ['destination'] as const,
      registers,
    });
    this.parentsUpdated = new Counter({
      name: 'tocsin_relay_slack_app_parents_updated_total',
      help: "Parent messages edited in place to their incident's current state (chat.update).",
      labelNames: ['destination'] as const,
      registers,
    });
    this.repliesPosted = new Counter({
      name: 'tocsin_relay_slack_app_replies_posted_total',
      help: 'Replies posted in incident threads (more firing, reminders, resolutions).',
      labelNames: ['destination'] as const,
      registers,
    });
    // Gauges read the store on collect; collect must never throw (it would fail the whole scrape).
    const self = this;
    new Gauge({
      name: 'tocsin_relay_slack_app_threads_open',
      help: 'Incident threads whose parent shows FIRING, per slack_app destination.',
      labelNames: ['destination'] as const,
      registers,
      collect() {
        this.reset();
        const open = self.threads?.openByDestination() ?? new Map<string, number>();
        for (const d of new Set([...self.known, ...open.keys()])) this.set({ destination: d }, open.get(d) ?? 0);
      },
    });
    new Gauge({
      name: 'tocsin_relay_slack_app_thread_store_records',
      help: 'Threads the Slack app remembers (open and resolved), all destinations; bounded.',
      registers,
      collect() {
        this.set(self.threads?.size() ?? 0);
      },
    });
  }

  /** Gives a slack_app destination its zero series from the start. */
  initDestination(destination: string): void {
    this.known.add(destination);
    for (const c of [this.threadsStarted, this.parentsUpdated, this.repliesPosted]) c.inc({ destination }, 0);
  }

  watchThreads(source: ThreadGaugeSource): void {
    this.threads = source;
  }
}
