// The relay's destinations (Slack channels), as the config file declares them plus the
// changes made through the channel API. API changes are kept in `channels.json` in the
// data directory (written atomically, mode 0600 since it holds webhook URLs) and layered
// over the config on every start, so they survive restarts: an API change to a channel of
// the config file wins over the file, and the channel says so (source "config+api").
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { DestinationConfig } from '../config/schema.js';
import type { SlackAppSettings } from './delivery/integration.js';
import { maskUrl, Secret } from '../config/secret.js';
import { removeStaleTempFiles, writeFileAtomic } from '../util/atomic-file.js';

/** Fields the channel API can set, by their API names. */
export type ChannelField = 'webhook_url' | 'enabled';

export interface Channel {
  readonly name: string;
  readonly type: DestinationConfig['type'];
  readonly enabled: boolean;
  readonly webhookUrl: Secret | undefined;
  /** Bot token, channel ID and thread options of a slack_app destination (config file only). */
  readonly slackApp?: SlackAppSettings | undefined;
  /**
   * Who set it: the config file, the API, or a config file channel with fields set by the API
   * ('config' and 'config+api' channels can be changed but not deleted through the API).
   */
  readonly source: 'config' | 'api' | 'config+api';
  /** Fields the API set on a config file channel (they win over the file). */
  readonly apiFields: readonly ChannelField[];
  /** True when one of those differs from the config file: the file's value is not in effect. */
  readonly overridden: boolean;
}

/** What the API shows of a channel: the webhook URL is write-only, so only a masked form. */
export function publicChannel(c: Channel) {
  return {
    name: c.name,
    type: c.type,
    enabled: c.enabled,
    webhook_url: c.webhookUrl ? maskUrl(c.webhookUrl.reveal()) : null,
    // A slack_app channel: its Slack channel ID (not a secret; the bot token is never shown).
    ...(c.slackApp ? { slack_channel: c.slackApp.channel } : {}),
    source: c.source,
    overridden: c.overridden,
    api_fields: c.apiFields,
  };
}

interface StoredChannel {
  webhook_url?: string;
  enabled?: boolean;
  /** True for channels the API created (not in the config file). */
  created?: boolean;
}

export class ChannelError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Only `slack` channels post to a webhook URL: setting one on another type would do nothing. */
function refuseWebhookUrl(existing: Channel | undefined): void {
  if (existing !== undefined && existing.type !== 'slack') {
    throw new ChannelError(409, `channel "${existing.name}" is of type ${existing.type} (declared in the config file): it has no webhook URL to set`);
  }
}

export class ChannelStore {
  private channels = new Map<string, Channel>();
  private listeners: (() => void)[] = [];
  // Serialises writes so two API calls never interleave their read-modify-write.
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private fromConfig: readonly DestinationConfig[],
    private stored: Record<string, StoredChannel>,
  ) {
    this.rebuild();
  }

  static async open(dataDir: string, fromConfig: readonly DestinationConfig[], logger?: Logger): Promise<ChannelStore> {
    const file = join(dataDir, 'channels.json');
    // A write cut by a crash leaves its temp file, a full copy of the webhook URLs.
    const stale = await removeStaleTempFiles(file);
    if (stale.length > 0) logger?.warn({ files: stale }, 'removed temporary files of an interrupted channels.json write');
    let stored: Record<string, StoredChannel> = {};
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { channels?: Record<string, StoredChannel> };
      stored = parsed.channels ?? {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
    }
    const store = new ChannelStore(file, fromConfig, stored);
    for (const c of store.list()) {
      if (c.overridden) {
        logger?.warn({ channel: c.name, fields: c.apiFields }, 'the channel API has changed this config file channel; its settings win over the file');
      }
    }
    return store;
  }

  private rebuild(): void {
    const next = new Map<string, Channel>();
    for (const d of this.fromConfig) {
      const s = this.stored[d.name];
      const apiFields: ChannelField[] = [];
      if (s?.webhook_url !== undefined) apiFields.push('webhook_url');
      if (s?.enabled !== undefined) apiFields.push('enabled');
      const overridden =
        (s?.webhook_url !== undefined && s.webhook_url !== d.webhookUrl?.reveal()) || (s?.enabled !== undefined && s.enabled !== d.enabled);
      next.set(d.name, {
        name: d.name,
        type: d.type,
        enabled: s?.enabled ?? d.enabled,
        webhookUrl: s?.webhook_url !== undefined ? new Secret(s.webhook_url) : d.webhookUrl,
        slackApp: d.slackApp,
        source: apiFields.length > 0 ? 'config+api' : 'config',
        apiFields,
        overridden,
      });
    }
    for (const [name, s] of Object.entries(this.stored)) {
      if (next.has(name) || !s.created || s.webhook_url === undefined) continue;
      next.set(name, {
        name,
        type: 'slack',
        enabled: s.enabled ?? true,
        webhookUrl: new Secret(s.webhook_url),
        source: 'api',
        apiFields: [],
        overridden: false,
      });
    }
    this.channels = next;
  }

  /** The config file's destinations changed (reload); API changes on top of them stay. */
  reconfigure(fromConfig: readonly DestinationConfig[]): void {
    this.fromConfig = fromConfig;
    this.rebuild();
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  list(): Channel[] {
    return [...this.channels.values()];
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  async create(name: string, webhookUrl: string, enabled = true): Promise<Channel> {
    return this.mutate(() => {
      if (this.channels.has(name)) throw new ChannelError(409, `channel "${name}" already exists`);
      this.stored[name] = { webhook_url: webhookUrl, enabled, created: true };
      return name;
    });
  }

  /** PUT: sets webhook URL and enabled; creates the channel when it does not exist. */
  async replace(name: string, webhookUrl: string, enabled = true): Promise<{ channel: Channel; created: boolean }> {
    // Decided inside the serialised change: of concurrent PUTs of a new channel, exactly one creates it.
    let created = false;
    const channel = await this.mutate(() => {
      const existing = this.channels.get(name);
      refuseWebhookUrl(existing);
      created = existing === undefined;
      this.stored[name] = { webhook_url: webhookUrl, enabled, created: existing ? existing.source === 'api' : true };
      return name;
    });
    return { channel, created };
  }

  async patch(name: string, change: { webhookUrl?: string; enabled?: boolean }): Promise<Channel> {
    return this.mutate(() => {
      const existing = this.channels.get(name);
      if (!existing) throw new ChannelError(404, `channel "${name}" not found`);
      if (change.webhookUrl !== undefined) refuseWebhookUrl(existing);
      const s = (this.stored[name] ??= {});
      if (change.webhookUrl !== undefined) s.webhook_url = change.webhookUrl;
      if (change.enabled !== undefined) s.enabled = change.enabled;
      if (existing.source === 'api') s.created = true;
      return name;
    });
  }

  /**
   * DELETE: removes a channel the API created; for a config file channel the API changed, removes
   * the API's settings so the file's apply again (then returns the channel, else undefined).
   */
  async delete(name: string): Promise<Channel | undefined> {
    let reset = false;
    const channel = await this.mutate(() => {
      const existing = this.channels.get(name);
      if (!existing) throw new ChannelError(404, `channel "${name}" not found`);
      if (existing.source === 'config') {
        throw new ChannelError(409, `channel "${name}" is declared in the config file: disable it with PATCH {"enabled": false} or remove it from the file`);
      }
      reset = existing.source === 'config+api';
      delete this.stored[name];
      return name;
    });
    return reset ? channel : undefined;
  }

  private async mutate(change: () => string): Promise<Channel> {
    const run = this.writing.then(async () => {
      const before = structuredClone(this.stored);
      const name = change();
      try {
        await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, channels: this.stored }, null, 2)}\n`);
      } catch (err) {
        this.stored = before; // not persisted, so not applied
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new ChannelError(503, `channel change not saved, nothing changed: cannot write channels.json in the data directory (${code})`);
      }
      this.rebuild();
      for (const l of this.listeners) l();
      return this.channels.get(name) as Channel; // undefined only after delete(), which ignores it
    });
    this.writing = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}
