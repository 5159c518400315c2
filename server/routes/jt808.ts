/**
 * JT/T 808 terminals over HTTP (admin): send a text message (0x8300) and read the messages
 * with the terminals' answers (shared/schemas/devices.ts TextMessageView), ask a terminal
 * for its position now (0x8201), and the gateway's connection and refusal counts.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TextMessageBody, TextMessageView } from '../../shared/schemas/devices.ts';
import { ErrorResponse, IdParams } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';

const Counts = Type.Record(Type.String(), Type.Integer());
const GatewayStatsView = Type.Object({
  listening: Type.Boolean(),
  port: Type.Union([Type.Integer(), Type.Null()]),
  connections: Type.Integer(),
  authenticated: Type.Integer(),
  framesReceived: Type.Integer(),
  refused: Counts,
  closed: Counts,
  answers: Counts,
});

const jt808Routes: FastifyPluginAsyncTypebox = async (app) => {
  const adminOnly = app.auth.requireRole('admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };

  const terminal = (id: number) => {
    const d = app.deviceDirectory.get(id);
    if (!d) throw new HttpError(404, 'not_found', `no device ${id}`);
    if (d.protocol !== 'jt808') throw new HttpError(409, 'conflict', `device ${id} is a ${d.protocol} device, not a JT/T 808 terminal`);
    return d;
  };

  app.post('/api/devices/:id/text', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], params: IdParams, body: TextMessageBody, response: { 201: TextMessageView, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const d = terminal(req.params.id);
    if (d.state !== 'active') throw new HttpError(409, 'conflict', `terminal ${d.deviceId} is ${d.state}`);
    const m = await app.jt808.texts.send({ id: d.id, deviceId: d.deviceId }, req.body.text, req.principal!.name);
    await app.store.audit.record({ actor: req.principal!.name, action: 'device.text', target: `jt808:${d.deviceId}`, detail: { id: d.id, messageId: m.id } });
    return reply.status(201).send(m);
  });

  app.get('/api/devices/:id/messages', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], params: IdParams, response: { 200: Type.Array(TextMessageView), 404: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req) => app.jt808.texts.list(terminal(req.params.id).id));

  app.post('/api/devices/:id/position-query', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], params: IdParams, response: { 202: Type.Object({ sent: Type.Literal(true) }), 404: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const d = terminal(req.params.id);
    if (!app.jt808.queryPosition(d.deviceId)) throw new HttpError(409, 'conflict', `terminal ${d.deviceId} is not connected`);
    return reply.status(202).send({ sent: true });
  });

  app.get('/api/jt808/stats', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], response: { 200: GatewayStatsView, ...denied } },
  }, async () => {
    const s = app.jt808.stats();
    return { listening: s !== undefined, port: app.jt808.port ?? null, connections: 0, authenticated: 0, framesReceived: 0, refused: {}, closed: {}, answers: {}, ...s };
  });
};

export default jt808Routes;
