// /api/v1/targets[/{name}[/status|/pause|/resume]]: probe targets added, changed and removed
// at run time, next to those of the config file. Changes apply at once (the scheduler is
// reconfigured) and persist in the target store. A config file target can be paused, but
// not changed or deleted here: the file would bring it back on the next reload (409).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ProbeTargetConfig } from '../config/probes.js';
import { HttpError } from '../http/errors.js';
import type { DiscoveredTarget } from './discovery.js';
import type { TargetStatus } from './state.js';
import type { OpenWindow } from './maintenance.js';
import { withPushToken, refusePushSecrets } from './push-token.js';
import { parseTargetBody, parseWindows, TargetStoreError, type TargetBody, type TargetStore } from './target-store.js';

export interface TargetRoutesOptions {
  readonly store: TargetStore;
  /** The config file's targets now (they change on reload). */
  readonly configTargets: () => readonly ProbeTargetConfig[];
  readonly status: (name: string) => TargetStatus | undefined;
  /** The maintenance window open for the target now, if any. */
  readonly maintenance?: (name: string) => OpenWindow | undefined;
  /** Hands the scheduler the targets now in effect. */
  readonly apply: () => void;
  /** Names the caller of a write, for the audit log. */
  readonly who: (request: FastifyRequest) => string;
  /** Targets from discovery sources now: listed and pausable, changed only in their source. */
  readonly discovered?: () => readonly DiscoveredTarget[];
}

/** What the API shows of a target: its settings without credentials (API targets have none). */
function publicTarget(t: ProbeTargetConfig, source: 'config' | 'api' | 'discovery', paused: boolean, discoverySource?: string) {
  return {
    name: t.name,
    type: t.type,
    address: t.address,
    environment: t.environment,
    interval: t.interval,
    timeout: t.timeout,
    retries: t.retries,
    retry_delay: t.retry_delay,
    failure_threshold: t.failure_threshold,
    success_threshold: t.success_threshold,
    notify: t.notify,
    labels: t.labels,
    source,
    ...(discoverySource !== undefined ? { discovery_source: discoverySource } : {}),
    paused,
    ...(t.maintenance.length > 0 ? { maintenance: t.maintenance } : {}),
    // Where the target's heartbeats go (its token is shown once, when Tocsin makes it).
    ...(t.type === 'push' ? { push: { url: `/api/v1/push/${t.name}`, grace: t.push.grace } } : {}),
  };
}

export interface DeclaredTarget {
  readonly target: ProbeTargetConfig;
  readonly source: 'config' | 'api' | 'discovery';
  /** The discovery source's name, for a discovered target. */
  readonly discoverySource?: string;
  readonly paused: boolean;
}

/** Every target, paused ones too: the config file's, the API's not shadowed by a config name, then the discovered ones. */
export function declaredTargets(store: TargetStore, configTargets: readonly ProbeTargetConfig[], discovered: readonly DiscoveredTarget[] = []): DeclaredTarget[] {
  const names = new Set(configTargets.map((t) => t.name));
  return [
    ...configTargets.map((target) => ({ target, source: 'config' as const, paused: store.paused(target.name) })),
    ...store.targets().filter((t) => !names.has(t.name)).map((target) => ({ target, source: 'api' as const, paused: store.paused(target.name) })),
    ...discovered.map((d) => ({ target: d.target, source: 'discovery' as const, discoverySource: d.source, paused: store.paused(d.target.name) })),
  ];
}

function isObject(v: unknown): v is TargetBody {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A PATCH body over the stored one: sections (http, tls, labels, ...) merge one level deep. */
function merge(base: TargetBody, patch: TargetBody): TargetBody {
  const out: TargetBody = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = isObject(v) && isObject(base[k]) ? { ...base[k], ...v } : v;
  return out;
}

export const targetRoutes: FastifyPluginAsync<TargetRoutesOptions> = async (api, o) => {
  const fromConfig = (name: string) => o.configTargets().find((t) => t.name === name);
  const fromDiscovery = (name: string) => o.discovered?.().find((d) => d.target.name === name);
  const find = (name: string) => {
    const c = fromConfig(name);
    if (c) return { target: c, source: 'config' as const };
    const a = o.store.get(name);
    if (a) return { target: a.target, source: 'api' as const };
    const d = fromDiscovery(name);
    if (d) return { target: d.target, source: 'discovery' as const, discoverySource: d.source };
    throw new HttpError(404, `target "${name}" not found`);
  };
  const show = (name: string) => {
    const { target, source, discoverySource } = find(name);
    return publicTarget(target, source, o.store.paused(name), discoverySource);
  };
  const refuseConfig = (name: string, action: string) => {
    if (fromConfig(name)) {
      throw new HttpError(409, `target "${name}" is declared in the config file: ${action} it there (the API can only pause and resume it)`);
    }
  };
  // A discovered target is its source's: an API target of the same name (POST, PUT) takes
  // its place, but it cannot be changed or deleted here.
  const refuseDiscovered = (name: string, action: string) => {
    const d = o.store.get(name) ? undefined : fromDiscovery(name);
    if (d) {
      throw new HttpError(409, `target "${name}" comes from discovery source "${d.source}": ${action} it in that source's list, or create an API target of the same name to take its place`);
    }
  };
  const parse = (body: unknown) => {
    try {
      return parseTargetBody(body);
    } catch (err) {
      if (err instanceof TargetStoreError) throw new HttpError(err.statusCode, err.message);
      throw err;
    }
  };
  const write = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      if (err instanceof TargetStoreError) throw new HttpError(err.statusCode, err.message);
      throw err;
    }
    o.apply();
  };
  const maintenanceNow = (name: string) => {
    const open = o.maintenance?.(name);
    return open ? { active: true, ...(open.name !== undefined ? { window: open.name } : {}), until: Math.round(open.untilMs / 1000) } : { active: false };
  };
  /** The token goes into the answer of the request that made it, and nowhere else. */
  const withToken = <T extends object>(shown: T, token: string | undefined) => (token === undefined ? shown : { ...shown, push: { ...(shown as { push?: object }).push, token } });
  const audit = (request: FastifyRequest, action: string, name: string) =>
    request.log.info({ audit: 'target', user: o.who(request), action, target: name }, 'target changed');

  api.get('/targets', async () => declaredTargets(o.store, o.configTargets(), o.discovered?.()).map((d) => publicTarget(d.target, d.source, d.paused, d.discoverySource)));

  api.post('/targets', async (request, reply) => {
    refusePushSecrets(request.body);
    const { body, token } = withPushToken(request.body, undefined);
    const target = parse(body);
    if (fromConfig(target.name) || o.store.get(target.name)) {
      throw new HttpError(400, `body.name: a target named "${target.name}" already exists${fromConfig(target.name) ? ' (in the config file)' : ''}; use PUT /api/v1/targets/${target.name} to replace an API target`);
    }
    await write(() => o.store.put(body as TargetBody, target));
    audit(request, 'create', target.name);
    return reply.status(201).send(withToken(show(target.name), token));
  });

  api.get<{ Params: { name: string } }>('/targets/:name', async (request) => show(request.params.name));

  api.put<{ Params: { name: string } }>('/targets/:name', async (request, reply) => {
    const { name } = request.params;
    refuseConfig(name, 'change');
    refusePushSecrets(request.body);
    const given = isObject(request.body) && request.body.name === undefined ? { ...request.body, name } : request.body;
    // A push target replaced keeps its token; one that becomes a push target gets one.
    const { body, token } = withPushToken(given, o.store.get(name)?.body);
    const target = parse(body);
    if (target.name !== name) throw new HttpError(400, 'body.name: must match the name in the path (renaming is not supported)');
    const created = !o.store.get(name);
    await write(() => o.store.put(body as TargetBody, target));
    audit(request, created ? 'create' : 'replace', name);
    return reply.status(created ? 201 : 200).send(withToken(show(name), token));
  });

  api.patch<{ Params: { name: string } }>('/targets/:name', async (request) => {
    const { name } = request.params;
    refuseConfig(name, 'change');
    refuseDiscovered(name, 'change');
    const existing = o.store.get(name);
    if (!existing) throw new HttpError(404, `target "${name}" not found`);
    if (!isObject(request.body)) throw new HttpError(400, 'body must be a JSON object');
    if (request.body.name !== undefined && request.body.name !== name) throw new HttpError(400, 'body.name: renaming is not supported');
    refusePushSecrets(request.body);
    const { body, token } = withPushToken(merge(existing.body, request.body), existing.body);
    const target = parse(body);
    await write(() => o.store.put(body as TargetBody, target));
    audit(request, 'update', name);
    return withToken(show(name), token);
  });

  api.delete<{ Params: { name: string } }>('/targets/:name', async (request, reply) => {
    const { name } = request.params;
    refuseConfig(name, 'delete');
    refuseDiscovered(name, 'delete');
    if (!o.store.get(name)) throw new HttpError(404, `target "${name}" not found`);
    await write(() => o.store.delete(name));
    audit(request, 'delete', name);
    return reply.status(204).send();
  });

  for (const action of ['pause', 'resume'] as const) {
    api.post<{ Params: { name: string } }>(`/targets/:name/${action}`, async (request) => {
      const { name } = request.params;
      find(name);
      await write(() => o.store.setPaused(name, action === 'pause'));
      audit(request, action, name);
      return show(name);
    });
  }

  // Maintenance windows of any target (the config file's too), kept in the target store and
  // added to the target's own: setting them changes no check and no state.
  api.get<{ Params: { name: string } }>('/targets/:name/maintenance', async (request) => {
    const { name } = request.params;
    find(name);
    return { windows: o.store.maintenanceBodies(name), ...maintenanceNow(name) };
  });

  api.put<{ Params: { name: string } }>('/targets/:name/maintenance', async (request) => {
    const { name } = request.params;
    find(name);
    const body = request.body;
    if (!isObject(body) || !Array.isArray(body.windows)) throw new HttpError(400, 'body.windows: expected a list of windows ([] for none)');
    const bodies = body.windows as unknown[];
    let windows;
    try {
      windows = parseWindows(bodies);
    } catch (err) {
      if (err instanceof TargetStoreError) throw new HttpError(err.statusCode, err.message);
      throw err;
    }
    await write(() => o.store.setMaintenance(name, bodies, windows));
    audit(request, 'set maintenance', name);
    return { windows: o.store.maintenanceBodies(name), ...maintenanceNow(name) };
  });

  api.delete<{ Params: { name: string } }>('/targets/:name/maintenance', async (request, reply) => {
    const { name } = request.params;
    find(name);
    await write(() => o.store.setMaintenance(name, [], []));
    audit(request, 'clear maintenance', name);
    return reply.status(204).send();
  });

  // A new token for an API push target (the old one stops working at once): for a lost token.
  api.post<{ Params: { name: string } }>('/targets/:name/push-token', async (request) => {
    const { name } = request.params;
    refuseConfig(name, 'change the token of');
    const existing = o.store.get(name);
    if (!existing) throw new HttpError(404, `target "${name}" not found`);
    if (existing.target.type !== 'push') throw new HttpError(409, `target "${name}" is of type ${existing.target.type}, not push: it has no token`);
    const { body, token } = withPushToken(existing.body, undefined);
    const target = parse(body);
    await write(() => o.store.put(body as TargetBody, target));
    audit(request, 'rotate push token', name);
    return withToken(show(name), token);
  });

  api.get<{ Params: { name: string } }>('/targets/:name/status', async (request) => {
    const { name } = request.params;
    find(name);
    const s = o.status(name);
    const last = s?.last;
    return {
      name,
      paused: o.store.paused(name),
      // A paused target is not checked: it has no current state.
      state: o.store.paused(name) ? 'paused' : (s?.state ?? 'unknown'),
      last_check: s?.lastCheck ?? null,
      last_state_change: s?.lastChange ?? null,
      consecutive_failures: s?.consecutiveFailures ?? 0,
      latency_seconds: last?.durationSeconds ?? null,
      last_failure: last && !last.success ? { reason: last.reason ?? 'error', message: last.message ?? '' } : null,
      // The last check failed while this machine was offline: not counted (README "Am I offline?").
      held: s?.held ? { at: s.held.at, reason: s.held.reason } : null,
      maintenance: maintenanceNow(name),
      recent: (s?.history() ?? []).map((c) => ({ at: c.at, success: c.success, duration_seconds: c.durationSeconds, ...(c.reason ? { reason: c.reason } : {}) })),
    };
  });
};
