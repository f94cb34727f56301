// The relay's destinations (Slack channels), as the config file declares them plus the
// changes made through the channel API. API changes are kept in `channels.json` in the
// data directory (written atomically, mode 0600 since it holds webhook URLs) and layered
// over the config on every start, so they survive restarts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DestinationConfig } from '../config/schema.js';
import { maskUrl, Secret } from '../config/secret.js';
import { writeFileAtomic } from '../util/atomic-file.js';

export interface Channel {
  readonly name: string;
  readonly type: 'slack' | 'console';
  readonly enabled: boolean;
  readonly webhookUrl: Secret | undefined;
  /** 'config' channels can be changed but not deleted through the API. */
  readonly source: 'config' | 'api';
}

/** What the API shows of a channel: the webhook URL is write-only, so only a masked form. */
export function publicChannel(c: Channel) {
  return {
    name: c.name,
    type: c.type,
    enabled: c.enabled,
    webhook_url: c.webhookUrl ? maskUrl(c.webhookUrl.reveal()) : null,
    source: c.source,
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

  static async open(dataDir: string, fromConfig: readonly DestinationConfig[]): Promise<ChannelStore> {
    const file = join(dataDir, 'channels.json');
    let stored: Record<string, StoredChannel> = {};
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { channels?: Record<string, StoredChannel> };
      stored = parsed.channels ?? {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`cannot read ${file}: ${(err as Error).message}`);
      }
    }
    return new ChannelStore(file, fromConfig, stored);
  }

  private rebuild(): void {
    const next = new Map<string, Channel>();
    for (const d of this.fromConfig) {
      const s = this.stored[d.name];
      next.set(d.name, {
        name: d.name,
        type: d.type,
        enabled: s?.enabled ?? d.enabled,
        webhookUrl: s?.webhook_url !== undefined ? new Secret(s.webhook_url) : d.webhookUrl,
        source: 'config',
      });
    }
    for (const [name, s] of Object.entries(this.stored)) {
      if (next.has(name) || !s.created || s.webhook_url === undefined) continue;
      next.set(name, { name, type: 'slack', enabled: s.enabled ?? true, webhookUrl: new Secret(s.webhook_url), source: 'api' });
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
    const created = !this.channels.has(name);
    const channel = await this.mutate(() => {
      const existing = this.channels.get(name);
      this.stored[name] = { webhook_url: webhookUrl, enabled, created: existing ? existing.source === 'api' : true };
      return name;
    });
    return { channel, created };
  }

  async patch(name: string, change: { webhookUrl?: string; enabled?: boolean }): Promise<Channel> {
    return this.mutate(() => {
      const existing = this.channels.get(name);
      if (!existing) throw new ChannelError(404, `channel "${name}" not found`);
      const s = (this.stored[name] ??= {});
      if (change.webhookUrl !== undefined) s.webhook_url = change.webhookUrl;
      if (change.enabled !== undefined) s.enabled = change.enabled;
      if (existing.source === 'api') s.created = true;
      return name;
    });
  }

  async delete(name: string): Promise<void> {
    await this.mutate(() => {
      const existing = this.channels.get(name);
      if (!existing) throw new ChannelError(404, `channel "${name}" not found`);
      if (existing.source === 'config') {
        throw new ChannelError(409, `channel "${name}" is declared in the config file: disable it with PATCH {"enabled": false} or remove it from the file`);
      }
      delete this.stored[name];
      return name;
    });
  }

  private async mutate(change: () => string): Promise<Channel> {
    const run = this.writing.then(async () => {
      const before = structuredClone(this.stored);
      const name = change();
      try {
        await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, channels: this.stored }, null, 2)}\n`);
      } catch (err) {
        this.stored = before; // not persisted, so not applied
        throw err;
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
