/**
 * HTTP batch ingest (issue 8 part 4): POST /api/v1/ingest/positions and /readings for staff
 * phones and third-party platforms, each with its own key (Authorization: Bearer cik_…), and
 * the admin API of those keys. The key is checked and rate-limited before the body is read,
 * so a flood or a revoked key costs no parsing.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CreatedIngestKey, CreateIngestKeyBody, IngestKeyView } from '../../shared/schemas/devices.ts';
import { BatchResult } from '../../shared/schemas/ingest.ts';
import { ErrorResponse, IdParams } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';
import { bearerToken } from '../plugins/auth.ts';
import type { MinuteRateLimit } from '../open311/rate-limit.ts';
import { ingestBatch, type BatchKind } from '../ingest/http/batch.ts';
import { countRefusedRequest, type HttpIngestStats } from '../ingest/http/feed-stats.ts';
import { bodyDigest, type IdempotencyRepo } from '../ingest/http/idempotency-repo.ts';
import type { IngestKeysRepo } from '../ingest/http/keys-repo.ts';
import type { MqttGatewayStats } from '../ingest/mqtt/gateway.ts';

declare module 'fastify' {
  interface FastifyRequest { ingestKeyId: number | undefined }
}

export interface IngestRoutesOptions {
  keys: IngestKeysRepo;
  idempotency: IdempotencyRepo;
  stats: HttpIngestStats;
  rateLimit: MinuteRateLimit;
  maxBatch: number;
  maxBodyBytes: number;
  now: () => number;
  mqttStats: () => MqttGatewayStats | null;
}

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'The same key and body within 24 h return the first answer; nothing is applied twice.' })),
});

/** The batch endpoints, in their own scope so that their hooks touch nothing else. */
const batchRoutes: FastifyPluginAsyncTypebox<IngestRoutesOptions> = async (app, opts) => {
  app.decorateRequest('ingestKeyId', undefined);

  const authenticate = async (req: FastifyRequest, reply: FastifyReply) => {
    const secret = bearerToken(req);
    // The key never appears in an answer or a log line: only its row id once it is known.
    const key = secret !== undefined && secret.length <= 200 ? await opts.keys.authenticate(secret) : undefined;
    if (!key) throw new HttpError(401, 'unauthorized', 'an active ingest key is required (Authorization: Bearer <key>; npm run admin -- ingest-key "<name>")');
    const wait = opts.rateLimit.take(String(key.id));
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new HttpError(429, 'rate_limited', `ingest key #${key.id} is over its limit of requests per minute; retry in ${wait} s`);
    }
    req.ingestKeyId = key.id;
  };
  app.addHook('onRequest', async () => { opts.stats.requests++; });
  app.addHook('onResponse', async (_req, reply) => { if (reply.statusCode >= 400) countRefusedRequest(opts.stats, reply.statusCode); });

  // The items are declared loosely here and checked one by one in ingestBatch: a schema on the
  // items would make one bad item refuse the whole batch.
  const httpSink = app.ingest.sink('http');
  /**
   * Batches with an Idempotency-Key being answered, by key and Idempotency-Key: a retry that
   * arrives meanwhile waits for the first answer and replays it, as when lookup, ingest and
   * remember ran in one synchronous step; the store is asynchronous now.
   */
  const answering = new Map<string, Promise<unknown>>();
  const route = (kind: BatchKind, fields: string, description: string) => {
    const body = Type.Object({
      [kind]: Type.Array(Type.Unknown(), { minItems: 1, maxItems: opts.maxBatch, description: `1 to ${opts.maxBatch} items, each ${fields}; each checked on its own` }),
    }, { additionalProperties: false });
    app.post(`/api/v1/ingest/${kind}`, {
      onRequest: authenticate,
      bodyLimit: opts.maxBodyBytes,
      schema: {
        tags: ['ingest'], description, headers: IdempotencyHeaders, body,
        response: { 200: BatchResult, 400: ErrorResponse, 401: ErrorResponse, 409: ErrorResponse, 413: ErrorResponse, 429: ErrorResponse },
      },
    }, async (req) => {
      const keyId = req.ingestKeyId!;
      const items = (req.body as Record<BatchKind, unknown[]>)[kind];
      const idem = req.headers['idempotency-key'];
      const now = opts.now();
      const apply = () => {
        const result = ingestBatch(kind, items, httpSink, (deviceId, reason, detail) => app.deviceDirectory.refused('http', deviceId, reason, detail, now));
        opts.stats.accepted += result.accepted;
        for (const r of result.rejected) opts.stats.rejectedItems[r.reason] = (opts.stats.rejectedItems[r.reason] ?? 0) + 1;
        opts.keys.used(keyId, result.accepted, result.rejected.length, now);
        return result;
      };
      if (idem === undefined) return apply();
      const digest = bodyDigest(req.body);
      const slot = `${keyId}\n${idem}`;
      for (let first = answering.get(slot); first; first = answering.get(slot)) await first.catch(() => undefined);
      const answer = (async () => {
        const seen = await opts.idempotency.lookup(keyId, idem, kind, digest, now);
        if (seen.kind === 'conflict') throw new HttpError(409, 'idempotency_conflict', 'this Idempotency-Key was used for a different body in the last 24 h');
        if (seen.kind === 'replay') {
          opts.stats.replays++;
          return seen.result;
        }
        const result = apply();
        await opts.idempotency.remember(keyId, idem, kind, digest, result, now);
        return result;
      })();
      answering.set(slot, answer);
      try {
        return await answer;
      } finally {
        if (answering.get(slot) === answer) answering.delete(slot);
      }
    });
  };
  route('positions', '{deviceId, ts (ISO 8601 with zone | epoch ms), lat, lon, speed? km/h, heading? °, crs? WGS84|GCJ02|BD09, accuracy? m}', 'Positions of devices (staff phones, a platform\'s vehicles): partial acceptance, bad items reported by index and reason.');
  route('readings', '{deviceId, ts, …attributes of the entity\'s kind (fill; nh3, h2s, occupied, open; sos)}', 'Readings of devices (bin fill, toilet air and stalls, staff SOS): partial acceptance, bad items reported by index and reason.');
};

/** Ingest keys (admins, audited) and what the MQTT and HTTP feeds did. */
const keyRoutes: FastifyPluginAsyncTypebox<IngestRoutesOptions> = async (app, opts) => {
  const adminOnly = app.auth.requireRole('admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };

  app.get('/api/ingest-keys', { onRequest: adminOnly, schema: { tags: ['ingest'], response: { 200: Type.Array(IngestKeyView), ...denied } } }, async () => opts.keys.list());

  app.post('/api/ingest-keys', {
    onRequest: adminOnly,
    schema: { tags: ['ingest'], description: 'Issues a key; the secret is in this answer only.', body: CreateIngestKeyBody, response: { 201: CreatedIngestKey, 400: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const created = await opts.keys.create(req.body.name, req.principal!.name, opts.now());
    await app.store.audit.record({ actor: req.principal!.name, action: 'ingestKey.create', target: `ingestKey:${created.key.id}`, detail: { name: req.body.name } });
    return reply.status(201).send(created);
  });

  app.delete('/api/ingest-keys/:id', {
    onRequest: adminOnly,
    schema: { tags: ['ingest'], params: IdParams, response: { 204: Type.Null(), 404: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    if (!(await opts.keys.revoke(req.params.id, opts.now()))) throw new HttpError(404, 'not_found', `no active ingest key ${req.params.id}`);
    await app.store.audit.record({ actor: req.principal!.name, action: 'ingestKey.revoke', target: `ingestKey:${req.params.id}` });
    return reply.status(204).send(null);
  });

  app.get('/api/ingest/gateways', {
    onRequest: adminOnly,
    schema: { tags: ['ingest'], description: 'The MQTT connection and the HTTP batch feed: received, accepted, refused by reason.', response: { 200: Type.Object({}, { additionalProperties: true }), ...denied } },
  }, async () => ({ mqtt: opts.mqttStats(), http: opts.stats }));
};

const ingestRoutes: FastifyPluginAsyncTypebox<IngestRoutesOptions> = async (app, opts) => {
  await app.register(batchRoutes, opts);
  await app.register(keyRoutes, opts);
};
export default ingestRoutes;
