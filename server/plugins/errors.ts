/** One error handler: clients get `{ error: { code, message, details? } }` with the right status, never a stack. */
import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import { HttpError } from '../http-error.ts';

export default fp(async (app) => {
  // A numeric id from a route (schema: integer ≥ 1) beyond 2^53 names no row: every id column is a
  // BIGINT identity. Answered here, once for every route, as the store would (404) — PostgreSQL
  // refuses such a parameter outright, which would surface as a 500.
  app.addHook('preHandler', async (req) => {
    const params = req.params as Record<string, unknown> | undefined;
    if (!params) return;
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new HttpError(404, 'not_found', `no ${name} ${String(value)}`);
    }
  });
  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) {
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } });
    }
    if ((err as FastifyError).validation) {
      return reply.status(400).send({ error: { code: 'bad_request', message: err.message, details: (err as FastifyError).validation } });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code = status === 429 ? 'rate_limited' : status === 413 ? 'body_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request';
      return reply.status(status).send({ error: { code, message: err.message } });
    }
    req.log.error({ err, reqId: req.id }, 'request failed');
    return reply.status(500).send({ error: { code: 'internal', message: `internal error (request ${req.id})` } });
  });
}, { name: 'errors' });
