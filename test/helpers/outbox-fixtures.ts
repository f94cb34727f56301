// Outbox entries and outboxes in temporary directories, for the relay's tests.
import { Outbox } from '../../src/relay/outbox/index.js';
import type { OutboxEntry } from '../../src/relay/types.js';
import { silentLogger } from './collect.js';
import { tmpDir } from './tmp.js';

export type Teardown = { teardown(fn: () => unknown): void };

/** A firing notification for `destination`; `pad`, when given, becomes a label (to size entries). */
export function outboxEntry(id: string, destination = 'ops', pad?: string): OutboxEntry {
  return {
    id,
    acceptedAt: Date.now(),
    destination,
    presentation: {},
    notification: {
      version: '4',
      groupKey: `{}:{alertname="${id}"}`,
      status: 'firing',
      receiver: 'slack',
      groupLabels: { alertname: id },
      commonLabels: pad === undefined ? { alertname: id } : { alertname: id, pad },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [],
    },
  };
}

export async function tempDir(t: Teardown, prefix = 'tocsin-outbox-'): Promise<string> {
  return tmpDir(t, prefix);
}

export async function openBox(t: Teardown, dir: string, opts: Parameters<typeof Outbox.open>[1] = {}): Promise<Outbox> {
  const box = await Outbox.open(dir, { logger: silentLogger, ...opts });
  t.teardown(() => box.close());
  return box;
}

export const ids = (es: readonly OutboxEntry[]) => es.map((e) => e.id);
