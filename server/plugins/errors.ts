/** One error handler: clients get `{ error: { code, message, details? } }` with the right status, never a stack. */
import fp from 'fastify-plugin';
import type { FastifyError } from 'fastify';
import { HttpError } from '../http-error.ts';

export default fp(async (app) => {
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
