// The admin API's error catalogue: every failure is an HTTP status with a JSON body
// { error: <stable code>, message: <what to fix> }; causes go to the log only (STYLE.md §7).
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from '@parley/log';
import { UserError } from './accounts.ts';

export type ErrorCode = 'bad-request' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'internal';

const STATUS: Record<ErrorCode, number> = { 'bad-request': 400, unauthorized: 401, forbidden: 403, 'not-found': 404, conflict: 409, internal: 500 };

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
  get status(): number {
    return STATUS[this.code];
  }
}

export function installErrorHandler(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError | Error, req, reply) => {
    if (err instanceof ApiError) {
      // RFC 6750 §3: a missing or bad bearer token is answered with a challenge.
      if (err.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="parley-admin"');
      return reply.code(err.status).send({ error: err.code, message: err.message });
    }
    if (err instanceof UserError) return reply.code(400).send({ error: 'bad-request', message: err.message });
    const fe = err as FastifyError;
    // Schema validation and body parsing: fastify's own message names the field ("body/password must …").
    if (fe.validation || (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500)) {
      return reply.code(fe.statusCode ?? 400).send({ error: 'bad-request', message: fe.message });
    }
    log.error('admin request failed', { err, method: req.method, url: req.url });
    return reply.code(500).send({ error: 'internal', message: 'internal error; the cause is in the server log' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));
}
