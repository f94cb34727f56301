// The console integration: each notification as readable text (slack/console.ts formatConsole) on
// standard output, or wherever `write` puts it. Logs go to stderr, so stdout carries only messages.
//
// Standard output can go away under us (the reader of a pipe exits, `tocsin stack | head`): Node
// then reports EPIPE as an 'error' event on process.stdout, which ends the process when nobody
// listens, after Alertmanager was told 200. streamWriter() listens, and a failed write is a
// `retry` outcome: the notification stays pending and the dispatcher's retry stage takes over.
import type { DeliveryOutcome, Integration } from '../delivery/integration.js';
import { formatConsole } from '../slack/console.js';

/** Writes one message; may return a promise. Rejects (or throws) when the output is broken. */
export type ConsoleWrite = (text: string) => unknown;

export interface ConsoleIntegrationOptions {
  readonly write: ConsoleWrite;
  /** IANA zone for times in messages. */
  readonly timeZone: string;
}

export function createConsoleIntegration(opts: ConsoleIntegrationOptions): Integration {
  return {
    type: 'console',
    async deliver({ entries, newer, signal }): Promise<DeliveryOutcome> {
      if (signal.aborted) return { kind: 'retry', reason: 'network', detail: 'aborted before writing' };
      let text: string;
      try {
        // A digest is simply the notifications one after another.
        text = entries
          // Each one late says what the ones after it (in the batch or still waiting) changed.
          .map((e, i) =>
            formatConsole(e.notification, {
              timeZone: opts.timeZone,
              presentation: e.presentation,
              acceptedAt: e.acceptedAt,
              newer: [...entries.slice(i + 1), ...(newer ?? [])],
            }),
          )
          .join('\n\n');
      } catch (err) {
        return { kind: 'unformattable', detail: err instanceof Error ? err.message : String(err) };
      }
      try {
        await opts.write(text);
        return { kind: 'delivered' };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException | undefined)?.code;
        return { kind: 'retry', reason: 'network', detail: `console write failed${code ? `: ${code}` : ''}` };
      }
    },
  };
}


/**
 * A ConsoleWrite for a stream (process.stdout by default) that resolves once the text is written
 * and rejects when the stream failed (EPIPE, closed), instead of letting the stream's 'error'
 * event end the process. Once broken, a stream stays broken: later writes reject at once.
 */
export function streamWriter(stream: NodeJS.WritableStream & { readonly destroyed?: boolean } = process.stdout): ConsoleWrite {
  let failure: Error | undefined;
  stream.on('error', (err: Error) => {
    failure ??= err;
  });
  return (text) =>
    new Promise<void>((resolve, reject) => {
      if (failure !== undefined || stream.destroyed === true) {
        reject(failure ?? Object.assign(new Error('output closed'), { code: 'ERR_STREAM_DESTROYED' }));
        return;
      }
      stream.write(`${text}\n`, (err) => (err ? reject(err) : resolve()));
    });
}

let stdout: ConsoleWrite | undefined;

/** streamWriter(process.stdout), made once per process (each one adds an 'error' listener). */
export function stdoutWriter(): ConsoleWrite {
  return (stdout ??= streamWriter(process.stdout));
}
