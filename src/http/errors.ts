// One error type for every HTTP surface, and one handler that turns errors into responses.
// Every 4xx message names the field or the thing that is wrong; 5xx messages written by us
// are shown as they are, anything else becomes "internal error" (its text may hold details
// that do not belong in a response) and is logged.
import type { FastifyError, FastifyInstance } from 'fastify';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** Extra response headers, e.g. WWW-Authenticate on a 401. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(statusCode: number): string {
  return REASONS[statusCode] ?? (statusCode >= 500 ? 'Server Error' : 'Bad Request');
}

export type ErrorObserver = (statusCode: number, routeUrl: string | undefined) => void;

/** Installs the shared error handler; `observe` sees every error response (for metrics). */
export function installErrorHandler(app: FastifyInstance, observe?: ErrorObserver): void {
  app.setErrorHandler((err: FastifyError | HttpError, request, reply) => {
    const statusCode = err.statusCode ?? 500;
    observe?.(statusCode, request.routeOptions.url);
    // The reason stays in the log (the response may say only "internal error"); the
    // request itself is logged by the server's onResponse hook.
    if (statusCode >= 500) request.log.error({ err: err.message, url: request.url }, 'request error');
    if (err instanceof HttpError) for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    const message = statusCode >= 500 && !(err instanceof HttpError) ? 'internal error' : err.message;
    return reply.status(statusCode).send({ statusCode, error: reasonPhrase(statusCode), message });
  });
}
