// The Slack app's messages, built from slack/format.ts's message for the notification:
// - the parent (the incident's first message, then edited in place) says the group's state now:
//   "[FIRING:3] …", "[FIRING 1, RESOLVED 2] …", "[RESOLVED after 12m] …", coloured by it, with at
//   most three buttons (runbook, dashboard, silence; no silence once resolved);
// - a reply says what changed, without buttons (the parent has them): a thread of ten updates
//   must not be a wall of buttons. A reminder (nothing changed) says so in its header.
import { beganAt, formatDuration, parseTime, pendingWindowMs } from '../slack/time.js';
import { formatNotification, RESOLVED_EMOJI, SEVERITY_EMOJI, type FormatOptions } from '../slack/format.js';
import { viewNotification } from '../slack/model.js';
import { escapeMrkdwn, truncate } from '../slack/mrkdwn.js';
import { renderTitle } from '../slack/template.js';
import { MAX_FALLBACK_TEXT, SLACK_LIMITS } from '../slack/limits.js';
import type { AlertmanagerNotification, SlackMessage } from '../types.js';

type Block = Record<string, unknown>;

/** The parent's buttons: what a responder needs first, three at most (the Prometheus graph button is left out). */
const PARENT_BUTTONS = new Set(['tocsin_runbook', 'tocsin_dashboard', 'tocsin_silence']);

/** What a notification says, compared between notifications: equal means a reminder. */
export function stateFingerprint(n: AlertmanagerNotification): string {
  const alerts = n.alerts.map((a) => `${a.fingerprint}|${a.status}|${a.startsAt}`).sort();
  return JSON.stringify([n.status, n.truncatedAlerts ?? 0, alerts]);
}

/** Earliest startsAt of the notification's alerts (Unix ms), or `fallback`. */
export function incidentStart(n: AlertmanagerNotification, fallback: number): number {
  // When the problem began, not when the alert fired: startsAt minus the rule's `for:` window (slack/time.ts).
  const starts = n.alerts
    .map((a) => beganAt({ status: 'firing', startsAt: parseTime(a.startsAt), pendingMs: pendingWindowMs(a.annotations.for) })?.getTime())
    .filter((t): t is number => t !== undefined);
  return starts.length > 0 ? Math.min(...starts) : fallback;
}

/** Latest endsAt of the resolved alerts (Unix ms), or `fallback`. */
export function incidentEnd(n: AlertmanagerNotification, fallback: number): number {
  const ends = n.alerts
    .filter((a) => a.status === 'resolved')
    .map((a) => parseTime(a.endsAt)?.getTime())
    .filter((t): t is number => t !== undefined);
  return ends.length > 0 ? Math.max(...ends) : fallback;
}

export interface ParentState {
  /** Unix ms the incident started. */
  readonly openedAt: number;
  /** Unix ms it resolved, when it has. */
  readonly resolvedAt?: number | undefined;
}

/**
 * The parent message for the group's current state. A route's title_template is its header, as in
 * the webhook messages, rendered for the group's state now (its {{ status }}, {{ firing }} and
 * {{ resolved }} follow the incident); once resolved, how long it lasted is added after it.
 */
export function parentMessage(n: AlertmanagerNotification, state: ParentState, opts: FormatOptions): SlackMessage {
  const v = viewNotification(n);
  const name = [v.name, ...v.groupValues].join(' ');
  const lasted = () => formatDuration(Math.max(0, (state.resolvedAt ?? opts.now?.getTime() ?? Date.now()) - state.openedAt));
  const template = opts.presentation?.titleTemplate?.trim();
  const custom = template ? renderTitle(template, v) : '';
  const title =
    custom !== ''
      ? v.status === 'firing'
        ? custom
        : `${custom} · resolved after ${lasted()}`
      : v.status === 'firing'
        ? `${SEVERITY_EMOJI[v.severity]} ${v.title}`
        : `${RESOLVED_EMOJI} [RESOLVED after ${lasted()}] ${name}`;
  const msg = formatNotification(n, opts);
  return retitle(msg, title, (b) => PARENT_BUTTONS.has(String(b.action_id)) && (v.status === 'firing' || b.action_id !== 'tocsin_silence'), true);
}

/** A thread reply for a notification; `reminder` when nothing changed since the last one. */
export function replyMessage(n: AlertmanagerNotification, reminder: boolean, opts: FormatOptions): SlackMessage {
  const msg = formatNotification(n, opts);
  const header = headerText(msg);
  const title = reminder ? `:repeat: Reminder, still the same: ${header}` : header;
  // No mention: the parent has it, and a reply that pinged the channel would defeat the thread.
  return retitle(msg, title, () => false, false);
}

function blocksOf(msg: SlackMessage): Block[] {
  return (msg.attachments?.[0]?.blocks as Block[] | undefined) ?? [];
}

function headerText(msg: SlackMessage): string {
  const h = blocksOf(msg).find((b) => b.type === 'header') as { text?: { text?: string } } | undefined;
  return h?.text?.text ?? msg.text;
}

/** The message with its header (and fallback text) replaced and only the buttons `keep` allows. */
function retitle(msg: SlackMessage, title: string, keep: (button: Block) => boolean, keepMention: boolean): SlackMessage {
  const blocks = blocksOf(msg).flatMap((b): Block[] => {
    if (b.type === 'header') return [{ ...b, text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.headerText), emoji: true } }];
    if (b.type === 'actions') {
      const elements = (b.elements as Block[]).filter(keep);
      return elements.length > 0 ? [{ ...b, elements }] : [];
    }
    return [b];
  });
  const attachment = msg.attachments?.[0] ?? {};
  // Mentions in the fallback text stay: they are what notifies people on a firing parent.
  const mention = keepMention ? /^(<![^>]+>|<@[^>]+>|<!subteam\^[^>]+>)\s/.exec(msg.text)?.[1] : undefined;
  const text = escapeMrkdwn(title, MAX_FALLBACK_TEXT);
  return { text: mention ? `${mention} ${text}` : text, attachments: [{ ...attachment, blocks }] };
}
