// The Slack app integration (destination type slack_app): one thread per incident.
//
// The first FIRING notification of an Alertmanager group (its groupKey) posts the parent message
// with chat.postMessage, and the parent's ts goes into the thread store (thread-store.ts, on disk
// before the delivery is reported done). Each later notification of the group first edits the
// parent in place (chat.update) to the group's state now, then replies in the thread (thread_ts):
// more alerts firing, a reminder (nothing changed: said so, never broadcast), some resolved, all
// resolved (broadcast to the channel with reply_broadcast when broadcast_resolved is on).
//
// Guarantees, with the outbox and the dispatcher behind it:
// - a reply is never posted before its parent exists: replies use only a ts from the store, which
//   holds a ts only after Slack confirmed the parent. A parent post with no clear answer (timeout)
//   is `unknown`: the dispatcher retries that same entry, oldest first, before any later one of the
//   destination, so the next notice waits for it. The price is a possible second parent when the
//   first one did reach Slack, as with any redelivery.
// - a retried delivery whose notice is already in the thread (the store lists the entry ids it
//   applied) is not posted again;
// - a parent that can no longer be edited (deleted, too old) is replaced by a new parent showing
//   the current state, and the thread continues there;
// - a group that fires again after it resolved starts a new thread (a new incident), unless it
//   resolved less than reuse_thread_within ago: then the old thread continues and its parent
//   turns red again.
// - with replicas (replica-state/threads.ts): a new parent is posted only by the replica holding
//   the group's claim; another one is told to retry until the thread is recorded, then continues
//   it. A notice older than the one the parent shows (its replica was down with it) is a quiet
//   reply and leaves the parent as it is.
// - a digest (the dispatcher merges notices when many wait) is applied group by group, each
//   group's latest notice only: one update and one reply per group, not one per notice.
import type { Logger } from 'pino';
import type { DeliveryOutcome, Destination, Integration, SlackAppSettings } from '../delivery/integration.js';
import { viewNotification } from '../slack/model.js';
import type { OutboxEntry, SlackMessage } from '../types.js';
import { incidentEnd, incidentStart, parentMessage, replyMessage, stateFingerprint } from './messages.js';
import type { ThreadMap, ThreadPut } from '../replica-state/threads.js';
import type { SlackAppAuth } from './auth-check.js';
import type { SlackAppMetrics } from './metrics.js';
import type { ThreadRecord } from './thread-store.js';
import { callSlack, PARENT_GONE_ERRORS, type CallOptions } from './web-api.js';

export const SLACK_APP_TYPE = 'slack_app';
export const DEFAULT_SLACK_APP_TIMEOUT_MS = 10_000;
/** How soon to look again when another replica is posting the parent of the same incident. */
export const PARENT_WAIT_MS = 1_000;

export interface SlackAppIntegrationOptions {
  /** IANA zone for times in messages. */
  readonly timeZone: string;
  /** Per Web API call. */
  readonly timeoutMs?: number;
  /** The group-key -> thread map: this relay's file, or shared by replicas (replica-state/threads.ts). */
  readonly threads: ThreadMap;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Threads started, parents updated, replies posted. */
  readonly metrics?: SlackAppMetrics;
  /** Told what each delivery learnt about the token. */
  readonly auth?: SlackAppAuth;
}

export function createSlackAppIntegration(opts: SlackAppIntegrationOptions): Integration {
  const now = opts.now ?? Date.now;
  const log = opts.logger?.child({ module: 'slack-app' });
  return {
    type: SLACK_APP_TYPE,
    async deliver({ destination, entries, signal }) {
      const settings = destination.slackApp;
      if (settings === undefined) return { kind: 'permanent', reason: 'clientError', detail: 'the destination has no bot token and channel' };
      const call: CallOptions = {
        token: settings.botToken.reveal(),
        apiUrl: settings.apiUrl,
        timeoutMs: opts.timeoutMs ?? DEFAULT_SLACK_APP_TIMEOUT_MS,
        signal,
      };
      for (const group of byGroup(entries)) {
        const outcome = await applyGroup(group, destination, settings, call);
        if (outcome.kind === 'permanent' && outcome.reason === 'authError') opts.auth?.report(destination.name, false, outcome.detail.replace(/^Slack error /, ''));
        if (outcome.kind !== 'delivered') return outcome;
      }
      opts.auth?.report(destination.name, true);
      return { kind: 'delivered' };
    },
  };

  async function applyGroup(group: Group, destination: Destination, s: SlackAppSettings, call: CallOptions): Promise<DeliveryOutcome> {
    const { key, lastId } = group;
    const n = group.last.notification;
    const at = now();
    const firing = viewNotification(n).status === 'firing';
    const stored = await opts.threads.get(destination.name, key);
    // Already in the thread: an earlier attempt posted it but its outcome was lost (or the
    // dispatcher retried a digest after a later group failed).
    if (stored?.applied.includes(lastId)) return { kind: 'delivered' };
    let thread = currentThread(stored, s, firing, at, group.last.acceptedAt);
    if (thread !== undefined) return applyToThread(group, destination, s, call, thread, at);

    // A new parent: only with the group's claim, so that two replicas delivering notices of the
    // same new incident at once post one parent between them (replica-state/threads.ts).
    const claim = await opts.threads.claimParent(destination.name, key);
    if (claim === undefined) {
      return { kind: 'retry', reason: 'serverError', retryAfterMs: PARENT_WAIT_MS, detail: "another relay replica is posting this incident's parent message; waiting for its thread" };
    }
    try {
      // The claim's previous holder may have recorded the thread between our read and our claim.
      const again = await opts.threads.get(destination.name, key);
      if (again?.applied.includes(lastId)) return { kind: 'delivered' };
      thread = currentThread(again, s, firing, at, group.last.acceptedAt);
      return await applyToThread(group, destination, s, call, thread, at);
    } finally {
      await claim.release();
    }
  }

  /** Posts the notice: a new parent when `thread` is undefined, else an edit and a reply. */
  async function applyToThread(
    group: Group,
    destination: Destination,
    s: SlackAppSettings,
    call: CallOptions,
    thread: ThreadRecord | undefined,
    at: number,
  ): Promise<DeliveryOutcome> {
    const { key, last, lastId } = group;
    const n = last.notification;
    const firing = viewNotification(n).status === 'firing';
    const fingerprint = stateFingerprint(n);
    const openedAt = thread?.openedAt ?? incidentStart(n, at);
    const resolvedAt = firing ? undefined : incidentEnd(n, at);
    // A message going out long after its acceptance (Slack was down) says so and speaks as of then.
    const fo = { timeZone: opts.timeZone, presentation: last.presentation, now: new Date(at), acceptedAt: last.acceptedAt };
    let parent: SlackMessage;
    let reply: SlackMessage;
    try {
      // Both built before anything is sent: a message that cannot be built sends nothing.
      parent = parentMessage(n, { openedAt, resolvedAt }, fo);
      reply = replyMessage(n, thread?.fingerprint === fingerprint, fo);
    } catch (err) {
      return { kind: 'unformattable', detail: err instanceof Error ? err.message : String(err) };
    }
    const next = {
      destination: destination.name,
      groupKey: key,
      channel: s.channel,
      state: firing ? 'firing' : 'resolved',
      openedAt,
      ...(resolvedAt !== undefined ? { resolvedAt } : {}),
      fingerprint,
      shownAcceptedAt: last.acceptedAt,
    } as const;

    if (thread === undefined) {
      // A new incident: the parent, and nothing else (it shows everything the notice says).
      const posted = await postParent(s.channel, parent, call);
      if (!posted.ok) return posted.outcome;
      opts.metrics?.threadsStarted.inc({ destination: destination.name });
      return record({ ...next, ts: posted.ts }, lastId);
    }

    if (thread.shownAcceptedAt !== undefined && last.acceptedAt < thread.shownAcceptedAt) {
      // Older than what the parent shows: another replica delivered a later notice of the group
      // while this one (down, restarting) held this in its outbox. Into the thread, quietly; the
      // parent and the record keep the later state.
      const late = await callSlack('chat.postMessage', { channel: thread.channel, thread_ts: thread.ts, ...unfurlOff(reply), reply_broadcast: false }, call);
      if (!late.ok) return late.outcome;
      opts.metrics?.repliesPosted.inc({ destination: destination.name });
      const { updatedAt: _updatedAt, ...unchanged } = thread;
      return record(unchanged, lastId);
    }
    const updated = await callSlack('chat.update', { channel: thread.channel, ts: thread.ts, ...parent }, call);
    if (!updated.ok) {
      if (updated.error === undefined || !PARENT_GONE_ERRORS.has(updated.error)) return updated.outcome;
      // Deleted, or too old to edit: a new parent with the state now keeps the channel's view true.
      log?.warn({ destination: destination.name, error: updated.error }, 'the incident\'s parent message cannot be updated; posting a new parent');
      const posted = await postParent(s.channel, parent, call);
      if (!posted.ok) return posted.outcome;
      opts.metrics?.threadsStarted.inc({ destination: destination.name });
      return record({ ...next, ts: posted.ts, applied: thread.applied }, lastId);
    }
    opts.metrics?.parentsUpdated.inc({ destination: destination.name });
    const reminder = thread.fingerprint === fingerprint;
    const replied = await callSlack(
      'chat.postMessage',
      {
        channel: thread.channel,
        thread_ts: thread.ts,
        ...unfurlOff(reply),
        // Reminders stay in the thread; a resolution may be shown in the channel too.
        reply_broadcast: !firing && !reminder && s.broadcastResolved,
      },
      call,
    );
    if (!replied.ok) return replied.outcome;
    opts.metrics?.repliesPosted.inc({ destination: destination.name });
    return record({ ...next, channel: thread.channel, ts: thread.ts, applied: thread.applied }, lastId);
  }

  async function record(r: ThreadPut, entryId: string): Promise<DeliveryOutcome> {
    try {
      await opts.threads.put(r, [entryId]);
      return { kind: 'delivered' };
    } catch (err) {
      // Slack has the message but the thread is not on disk: say so, the entry is retried (and
      // may be posted again) rather than reported done with a thread the next notice cannot find.
      log?.error({ error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, 'cannot record the Slack thread');
      return { kind: 'unknown', reason: 'serverError', detail: `posted, but the thread could not be recorded: ${(err as NodeJS.ErrnoException).code ?? 'write failed'}` };
    }
  }
}

/** The stored thread the notice belongs in, or undefined for a new incident. */
function currentThread(stored: ThreadRecord | undefined, s: SlackAppSettings, firing: boolean, at: number, acceptedAt: number): ThreadRecord | undefined {
  if (stored === undefined) return undefined;
  // The destination now points at another channel: the incident starts over there.
  if (stored.channel !== s.channel) return undefined;
  // A notice older than what the thread shows belongs to it, whatever happened since.
  if (stored.shownAcceptedAt !== undefined && acceptedAt < stored.shownAcceptedAt) return stored;
  if (stored.state === 'resolved' && firing) {
    const since = at - (stored.resolvedAt ?? stored.updatedAt);
    if (s.reuseThreadWithinMs <= 0 || since > s.reuseThreadWithinMs) return undefined;
  }
  return stored;
}

/** Posts a top-level message; its ts, or the outcome when Slack did not confirm one. */
async function postParent(channel: string, m: SlackMessage, call: CallOptions): Promise<{ ok: true; ts: string } | { ok: false; outcome: DeliveryOutcome }> {
  const posted = await callSlack('chat.postMessage', { channel, ...unfurlOff(m) }, call);
  if (!posted.ok) return posted;
  const ts = posted.result.ts;
  // ok without a ts is not Slack's answer (a proxy?): the parent may exist, its thread is unknown.
  if (typeof ts !== 'string' || ts === '') return { ok: false, outcome: { kind: 'unknown', reason: 'serverError', detail: 'chat.postMessage answered ok without a ts' } };
  return { ok: true, ts };
}

function unfurlOff(m: SlackMessage): Record<string, unknown> {
  return { ...m, unfurl_links: false, unfurl_media: false };
}

interface Group {
  readonly key: string;
  /** The group's latest entry: the one shown. */
  readonly last: OutboxEntry;
  readonly lastId: string;
}

/** Entries by group key, in order of first appearance; each group's latest entry. */
function byGroup(entries: readonly OutboxEntry[]): Group[] {
  const groups = new Map<string, Group>();
  for (const e of entries) {
    // A notice without a group key is an incident of its own.
    const key = e.notification.groupKey || `entry:${e.id}`;
    groups.set(key, { key, last: e, lastId: e.id });
  }
  return [...groups.values()];
}
