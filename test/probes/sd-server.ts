// A discovery source on 127.0.0.1 whose answer the test sets between polls: a target list,
// a status, garbage, or no answer at all. It counts requests and keeps the last request's
// headers (to check credentials arrive, and that nothing else carries them).
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { listen } from './servers.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export type Answer = { readonly status?: number; readonly body: string } | 'hang';

export interface SdServer {
  readonly url: string;
  answer: Answer;
  requests: number;
  lastHeaders: IncomingHttpHeaders | undefined;
}

/** `[{"targets": [...], "labels": {...}}, ...]` as a source serves it. */
export function sdList(...groups: { targets: string[]; labels?: Record<string, string> }[]): Answer {
  return { body: JSON.stringify(groups.map((g) => ({ targets: g.targets, labels: g.labels ?? {} }))) };
}

export async function sdServer(t: Teardown, tls?: { cert: string; key: string }): Promise<SdServer> {
  const state = { answer: { body: '[]' } as Answer, requests: 0, lastHeaders: undefined as IncomingHttpHeaders | undefined };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    state.requests += 1;
    state.lastHeaders = req.headers;
    const answer = state.answer;
    if (answer === 'hang') return; // reads the request, never answers
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
    res.end(answer.body);
  };
  const server = tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, handler) : createHttpServer(handler);
  const port = await listen(t, server);
  return Object.assign(state, { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/targets` }) as SdServer;
}
