import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CreateDisplayTokenBody, CreatedDisplayToken, DisplayTokenSchema, ErrorResponse, IdParams } from '../../shared/schemas/http.ts';
import { IngestStatsView } from '../../shared/schemas/ingest-stats.ts';
import { AuditPage, AuditQuery } from '../../shared/schemas/access.ts';
import { HttpError } from '../http-error.ts';
import { ingestStatsView } from '../ingest/stats-view.ts';
import { newToken } from '../auth/passwords.ts';

/** Administration: wall display tokens (issue, list, revoke), ingest statistics, the audit log. Admin only, audited. The device registry: routes/devices.ts. */
const admin: FastifyPluginAsyncTypebox<{ wallUrl: (token: string) => string }> = async (app, opts) => {
  const { access, audit } = app.store;
  const adminOnly = app.auth.requireRole('admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };

  app.get('/api/display-tokens', { onRequest: adminOnly, schema: { tags: ['admin'], response: { 200: Type.Array(DisplayTokenSchema), ...denied } } }, async () => access.listDisplayTokens());

  app.post('/api/display-tokens', {
    onRequest: adminOnly,
    schema: { tags: ['admin'], body: CreateDisplayTokenBody, response: { 201: CreatedDisplayToken, 400: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const token = newToken();
    const id = await access.createDisplayToken(token, req.body.name, req.principal!.name);
    await audit.record({ actor: req.principal!.name, action: 'displayToken.create', target: String(id), detail: { name: req.body.name } });
    return reply.status(201).send({ id, name: req.body.name, token, wallUrl: opts.wallUrl(token) });
  });

  app.delete('/api/display-tokens/:id', {
    onRequest: adminOnly,
    schema: { tags: ['admin'], params: IdParams, response: { 204: Type.Null(), 404: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    if (!(await access.revokeDisplayToken(req.params.id))) throw new HttpError(404, 'not_found', `no active display token ${req.params.id}`);
    await audit.record({ actor: req.principal!.name, action: 'displayToken.revoke', target: String(req.params.id) });
    app.auth.events.emit('revoked', `display:${req.params.id}`);
    return reply.status(204).send(null);
  });

  app.get('/api/audit', {
    onRequest: adminOnly,
    schema: {
      tags: ['admin'],
      description: 'The audit log, newest first: who did what to what, when. Filters: actor, action (exact, or a prefix ending in "." or "*"), target prefix, from/to (epoch ms). Paging: pass nextBefore as before.',
      querystring: AuditQuery, response: { 200: AuditPage, 400: ErrorResponse, ...denied },
    },
  }, async (req) => {
    const q = req.query;
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new HttpError(400, 'bad_request', 'from must be before to');
    return audit.query({
      limit: q.limit ?? 100,
      ...(q.actor !== undefined ? { actor: q.actor } : {}), ...(q.action !== undefined ? { action: q.action } : {}),
      ...(q.target !== undefined ? { target: q.target } : {}), ...(q.from !== undefined ? { from: q.from } : {}),
      ...(q.to !== undefined ? { to: q.to } : {}), ...(q.before !== undefined ? { before: q.before } : {}),
    });
  });

  app.get('/api/ingest/stats', {
    onRequest: adminOnly,
    schema: {
      tags: ['admin'], description: 'Accepted, late and dropped reports per source, per reason and per device, with the latest drops explained.',
      response: { 200: IngestStatsView, ...denied },
    },
  }, async () => ingestStatsView(app.ingest, app.deviceDirectory, app.live, app.timerFailures, {
    // The gateways register their routes when they are configured; the device page shows what exists.
    ingestKeys: app.hasRoute({ method: 'GET', url: '/api/ingest-keys' }),
    terminalText: app.hasRoute({ method: 'POST', url: '/api/devices/:id/text' }),
  }));
};
export default admin;
