// POST /hooks/sns: Amazon SNS's HTTP(S) subscriber endpoint.
//   1. the body is an SNS message (400 naming the field otherwise; SNS posts it as text/plain)
//   2. its topic is in relay.sns.topics (403 otherwise, logged: nothing is fetched for it)
//   3. its signature verifies with the certificate from SigningCertURL (403 otherwise)
//   4. it is recent (Timestamp within replay_window; 403 otherwise) and its MessageId new
//      (a replay or an SNS retry of an accepted message is answered 200 "duplicate")
// Then: SubscriptionConfirmation -> SubscribeURL fetched (https, trusted host only);
// UnsubscribeConfirmation -> logged; Notification -> a CloudWatch alarm's state change or a
// notice (cloudwatch.ts), accepted through the Intake like Alertmanager's notifications.
// No bearer token: SNS cannot send one. The signature and the topic list authenticate it (and
// the listener's basic auth from web.yml, which SNS sends from https://user:pass@host/ URLs).
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { HttpError } from '../../http/errors.js';
import { alarmGroupKey, alarmNotification, noticeNotification, parseCloudWatchAlarm, type SeverityPolicy } from '../cloudwatch.js';
import { Deduper } from '../dedupe.js';
import type { Intake, IntakeResult } from '../intake.js';
import type { AlarmStore } from '../sns/alarm-store.js';
import { trustedGet, untrustedUrl } from '../sns/fetch.js';
import { parseSnsMessage, SnsShapeError, type SnsMessage } from '../sns/message.js';
import type { SnsMetrics, SnsRejectReason } from '../sns/metrics.js';
import { CertUnavailable, SnsRejected, type SnsVerifier } from '../sns/verify.js';

export const SNS_PATH = '/hooks/sns';

/** What the endpoint needs from relay.sns; replaced on reload. */
export interface SnsSettings {
  readonly topics: ReadonlySet<string>;
  readonly severity: SeverityPolicy;
  readonly verifier: SnsVerifier;
}

export interface SnsRouteOptions {
  readonly intake: Intake;
  readonly settings: () => SnsSettings;
  readonly store: AlarmStore;
  readonly metrics: SnsMetrics;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  /** How old a message may be, and how long MessageIds are remembered (fixed at start). */
  readonly replayWindowMs: number;
  readonly now?: () => number;
}

export const snsRoute: FastifyPluginAsync<SnsRouteOptions> = async (app, o) => {
  const now = o.now ?? Date.now;
  const log = o.logger.child({ endpoint: SNS_PATH });
  const seen = new Deduper(o.replayWindowMs, now);
  const inFlight = new Set<string>();
  // SNS posts JSON as text/plain; any content type is read as text and parsed here (this plugin only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: o.maxBodyBytes }, (_request, body, done) => done(null, body));

  // Refused subscriptions are logged at warn (someone tried to subscribe the relay to a topic);
  // other refusals at debug, as anyone can post them: the metric counts them.
  const refuse = (reason: SnsRejectReason, status: number, message: string, fields: Record<string, unknown> = {}): never => {
    o.metrics.rejected.inc({ reason });
    const level = fields.type === 'SubscriptionConfirmation' ? 'warn' : 'debug';
    log[level]({ reason, ...fields }, `SNS message refused: ${message}`);
    throw new HttpError(status, message);
  };

  app.post(SNS_PATH, { bodyLimit: o.maxBodyBytes }, async (request, reply) => {
    const s = o.settings();
    let m: SnsMessage;
    try {
      m = parseSnsMessage(typeof request.body === 'string' ? request.body : '');
    } catch (err) {
      if (err instanceof SnsShapeError) return refuse('invalid', 400, err.message);
      throw err;
    }
    const who = { type: m.Type, topic: m.TopicArn.slice(0, 300), messageId: m.MessageId.slice(0, 100) };
    if (!s.topics.has(m.TopicArn)) refuse('topic', 403, 'body.TopicArn: not in relay.sns.topics', who);
    try {
      await s.verifier.verify(m);
    } catch (err) {
      if (err instanceof SnsRejected) refuse(err.reason, 403, err.message, who);
      if (err instanceof CertUnavailable) throw new HttpError(503, err.message);
      throw err;
    }
    const age = now() - Date.parse(m.Timestamp);
    if (Math.abs(age) > o.replayWindowMs) refuse('stale', 403, `body.Timestamp: more than ${Math.round(o.replayWindowMs / 1000)}s from now (a replay?)`, who);

    if (m.Type === 'SubscriptionConfirmation') {
      const problem = untrustedUrl(m.SubscribeURL!, s.verifier.fetchOptions.hostPattern);
      if (problem !== undefined) refuse('cert_url', 403, `body.SubscribeURL: ${problem}`, who);
      let status: number;
      try {
        status = (await trustedGet(m.SubscribeURL!, { ...s.verifier.fetchOptions, maxBytes: 64 * 1024 })).status;
      } catch (err) {
        throw new HttpError(503, `subscription not confirmed: ${(err as Error).message}`);
      }
      if (status !== 200) throw new HttpError(503, `subscription not confirmed: SubscribeURL answered HTTP ${status}`);
      o.metrics.messages.inc({ type: m.Type, outcome: 'confirmed' });
      log.info({ topic: m.TopicArn }, 'SNS subscription confirmed');
      return reply.status(200).send({ outcome: 'confirmed' });
    }
    if (m.Type === 'UnsubscribeConfirmation') {
      o.metrics.messages.inc({ type: m.Type, outcome: 'logged' });
      log.info({ topic: m.TopicArn }, 'SNS subscription ended (UnsubscribeConfirmation)');
      return reply.status(200).send({ outcome: 'logged' });
    }

    // A Notification. SNS retries keep the MessageId; so does a replay.
    const idKey = { group: m.MessageId, content: '' };
    if (inFlight.has(m.MessageId) || seen.isDuplicate(idKey)) {
      o.metrics.messages.inc({ type: m.Type, outcome: 'duplicate' });
      return reply.status(200).send({ outcome: 'duplicate' });
    }
    let alarm;
    try {
      alarm = parseCloudWatchAlarm(m.Message);
    } catch (err) {
      if (err instanceof SnsShapeError) return refuse('invalid', 400, err.message);
      throw err;
    }
    inFlight.add(m.MessageId);
    let result: IntakeResult;
    try {
      const accept = async (n: Parameters<Intake['accept']>[0]) => {
        try {
          return await o.intake.accept(n);
        } catch (err) {
          // Not stored: a 5xx makes SNS retry.
          throw new HttpError(503, `notification not stored: ${(err as Error).message}`);
        }
      };
      if (alarm === undefined) {
        result = await accept(noticeNotification(m));
      } else {
        const a = alarm;
        result = await o.store.update(alarmGroupKey(a), async (previous) => {
          const out = alarmNotification(a, previous, { topicArn: m.TopicArn, severity: s.severity });
          if (out.kind === 'stale') return { result: { outcome: 'duplicate' } as IntakeResult };
          return { record: out.record, result: await accept(out.notification) };
        });
      }
    } finally {
      inFlight.delete(m.MessageId);
    }
    seen.remember(idKey);
    o.metrics.messages.inc({ type: m.Type, outcome: result.outcome });
    return reply.status(200).send(result);
  });
};
