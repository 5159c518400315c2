/**
 * The cases API: the queue, a case with its timeline and clocks, reporting (上报), the
 * workflow steps, the exception requests and their decisions, and photos. Reads are open to
 * every signed-in role (the wall included); writes to people, refined by the workflow table.
 * A unit's crew (role field) is narrower: it reads only the cases its unit is or was assigned
 * to, never the list of all cases (403: the phone has its task and its day's tasks under
 * /api/units/:id), and uploads photos only to the case its unit holds now. Every write is audited.
 */
import { createReadStream } from 'node:fs';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CaseDetailSchema, CaseParams, CasesQuery, CaseSummarySchema, DecisionBody, NewCaseBody, OrganisationSchema, PhotoParams, PhotoQuery,
  RequestBody, RequestParams, ResumeBody, SignedPhotoParams, SignedPhotoQuery, TaxonomySchema, TransitionBody,
} from '../../shared/schemas/cases.ts';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import type { Actor } from '../ops/ports.ts';
import { HttpError } from '../http-error.ts';
import type { CasesService } from '../cases/cases-service.ts';
import { checkPhoto, PHOTO_TYPES, type PhotoFiles } from '../cases/photo-files.ts';
import { PHOTO_LINK_PREFIX, type PhotoLinks } from '../cases/photo-links.ts';

export interface CasesRoutesOptions { service: CasesService; photos: PhotoFiles; photoMaxBytes: number; links: PhotoLinks }

const actorOf = (req: FastifyRequest): Actor => ({ name: req.principal!.name, role: req.principal!.role });

/** Stages in which a crew still works on its case and may add photos to it. */
const CREW_PHOTO_STAGES: ReadonlySet<string> = new Set(['dispatched', 'handling']);
/** A client-chosen key: a UUID or similar, no spaces, no secrets. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,100}$/;

function idempotencyKeyOf(req: FastifyRequest): string | null {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return null;
  if (typeof raw !== 'string' || !IDEMPOTENCY_KEY.test(raw)) {
    throw new HttpError(400, 'bad_request', 'Idempotency-Key header: 8–100 characters from A–Z a–z 0–9 . _ : - (a UUID is fine)');
  }
  return raw;
}

const cases: FastifyPluginAsyncTypebox<CasesRoutesOptions> = async (app, { service, photos, photoMaxBytes, links }) => {
  const anyone = app.auth.requireRole();
  const people = app.auth.requireRole('dispatcher', 'leader', 'admin');
  const nonCrew = app.auth.requireRole('dispatcher', 'leader', 'admin', 'wall');

  /** A crew reads a case only if its unit is or was assigned to it; others read every case. */
  const crewMayRead = async (req: FastifyRequest, caseId: number): Promise<void> => {
    const p = req.principal!;
    if (p.role !== 'field') return;
    if (!p.unitId || !(await service.everAssigned(caseId, p.unitId))) throw new HttpError(403, 'forbidden', `case ${caseId} was never assigned to unit ${p.unitId ?? '(none)'}: a crew reads only its own unit's cases`);
  };
  const audit = (req: FastifyRequest, action: string, caseId: number, detail?: unknown) => app.store.audit.record({ actor: req.principal!.name, action, target: `case:${caseId}`, detail });
  const read = { 401: ErrorResponse };
  const write = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse };
  const tags = ['cases'];

  // Photos arrive as the raw image body; everything else stays under the app's JSON body limit.
  app.addContentTypeParser(Object.keys(PHOTO_TYPES), { parseAs: 'buffer', bodyLimit: photoMaxBytes }, (_req, body, done) => done(null, body));

  app.get('/api/taxonomy', { onRequest: anyone, schema: { tags, description: 'The 部件/事件 case taxonomy of the district pack: classes, subclasses (the road chiefs\' checklist groups) and items.', response: { 200: TaxonomySchema, ...read } } }, async () => service.taxonomy());

  app.get('/api/organisations', { onRequest: anyone, schema: { tags, description: 'The streets and district departments cases are assigned to.', response: { 200: Type.Array(OrganisationSchema), ...read } } }, async () => service.organisations());

  app.get('/api/cases', {
    onRequest: nonCrew,
    schema: { tags, description: 'Cases, filtered; open cases first — emergencies, then the nearest clock deadline — then the rest, latest first. Not for a crew (field): it reads its task and its day under /api/units/:id.', querystring: CasesQuery, response: { 200: Type.Array(CaseSummarySchema), 400: ErrorResponse, 403: ErrorResponse, ...read } },
  }, async (req) => {
    const q = req.query;
    if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw new HttpError(400, 'bad_request', 'from must be before to');
    return service.list({
      ...(q.open !== undefined ? { open: q.open === 'true' } : {}),
      ...(q.emergency !== undefined ? { emergency: q.emergency === 'true' } : {}),
      stage: q.stage, street: q.street, source: q.source, item: q.item, q: q.q, from: q.from, to: q.to, limit: q.limit ?? 100,
    });
  });

  app.get('/api/cases/:id', {
    onRequest: anyone,
    schema: { tags, description: 'One case with its photos, timeline, requests, evaluation and SLA clocks (a crew: only a case its unit is or was assigned to).', params: CaseParams, response: { 200: CaseDetailSchema, 403: ErrorResponse, 404: ErrorResponse, ...read } },
  }, async (req) => {
    await crewMayRead(req, req.params.id);
    const d = await service.detail(req.params.id);
    if (!d) throw new HttpError(404, 'not_found', `no case ${req.params.id}`);
    return d;
  });

  app.post('/api/cases', {
    onRequest: people,
    schema: { tags, description: '上报: report a case at a point in the district (register: true also 立案 at once).', body: NewCaseBody, response: { 201: CaseDetailSchema, ...write } },
  }, async (req, reply) => {
    const d = await service.report(req.body, actorOf(req));
    await audit(req, 'case.report', d.id, { code: d.code, itemCode: d.itemCode, source: d.source, register: req.body.register === true });
    return reply.status(201).send(d);
  });

  app.post('/api/cases/:id/transitions', {
    onRequest: people,
    schema: { tags, description: 'A workflow step: register (立案, may reclassify itemCode), verifyPass / verifyFail (核查), close (结案), evaluate (评价, score 1–5), note, escalate (吹哨). Name the version you loaded: a stale one gets 409 conflict.', params: CaseParams, body: TransitionBody, response: { 200: CaseDetailSchema, ...write } },
  }, async (req) => {
    const { action, ...opts } = req.body;
    const d = await service.transition(req.params.id, action, actorOf(req), opts);
    await audit(req, `case.${action}`, d.id, opts);
    return d;
  });

  app.post('/api/cases/:id/requests', {
    onRequest: people,
    schema: { tags, description: 'Ask for an exception: sendBack (退回), extension (延期, days), suspension (挂账), void (作废). A leader or admin other than the requester decides.', params: CaseParams, body: RequestBody, response: { 201: CaseDetailSchema, ...write } },
  }, async (req, reply) => {
    const { kind, ...opts } = req.body;
    const d = await service.request(req.params.id, kind, actorOf(req), opts);
    await audit(req, 'case.request', d.id, req.body);
    return reply.status(201).send(d);
  });

  app.post('/api/cases/:id/requests/:rid/decision', {
    onRequest: app.auth.requireRole('leader', 'admin'),
    schema: { tags, description: 'Approve or reject a pending request (leader or admin, never the requester).', params: RequestParams, body: DecisionBody, response: { 200: CaseDetailSchema, ...write } },
  }, async (req) => {
    const d = await service.decide(req.params.id, req.params.rid, req.body.approve, actorOf(req), req.body.note);
    await audit(req, req.body.approve ? 'case.approve' : 'case.reject', d.id, { requestId: req.params.rid, note: req.body.note });
    return d;
  });

  app.post('/api/cases/:id/resume', {
    onRequest: people,
    schema: { tags, description: 'End a suspension (挂账): the clocks run again.', params: CaseParams, body: ResumeBody, response: { 200: CaseDetailSchema, ...write } },
  }, async (req) => {
    const d = await service.resume(req.params.id, actorOf(req), req.body);
    await audit(req, 'case.resume', d.id, req.body);
    return d;
  });

  app.post('/api/cases/:id/photos', {
    onRequest: app.auth.requireRole('dispatcher', 'leader', 'admin', 'field'),
    bodyLimit: photoMaxBytes,
    schema: {
      tags, description: `A photo, before (with the report) or after (with the feedback): the raw image as the body, Content-Type image/jpeg, image/png or image/webp, at most ${photoMaxBytes} bytes. The type is checked by its bytes. A crew (field) adds photos only to the case its unit holds now, while it is dispatched or handling. An optional Idempotency-Key header makes a retry safe: the same key on the same case answers 200 with the photo the first upload made, and stores nothing new.`,
      params: CaseParams, querystring: PhotoQuery,
      response: { 200: CaseDetailSchema.properties.photos.items, 201: CaseDetailSchema.properties.photos.items, 413: ErrorResponse, 415: ErrorResponse, ...write },
    },
  }, async (req, reply) => {
    const actor = actorOf(req);
    const caseId = req.params.id;
    const rec = await service.requireCase(caseId);
    const p = req.principal!;
    if (p.role === 'field' && (!p.unitId || rec.assignment?.unitId !== p.unitId)) {
      throw new HttpError(403, 'forbidden', `case ${caseId} is not assigned to unit ${p.unitId ?? '(none)'}: a crew adds photos only to its own task`);
    }
    const key = idempotencyKeyOf(req);
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, 'unsupported_media_type', 'send the image as the raw body with Content-Type image/jpeg, image/png or image/webp');
    const declared = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const type = checkPhoto(req.body, declared);
    // Before the stage check: a retry whose first try landed is answered even if the case moved on since.
    const earlier = key === null ? undefined : await service.photoByKey(caseId, key);
    if (earlier) {
      if (earlier.phase !== req.query.phase || earlier.bytes !== req.body.length) {
        throw new HttpError(409, 'conflict', `Idempotency-Key header: this key already made photo ${earlier.id} (${earlier.phase}, ${earlier.bytes} bytes) on case ${caseId}; a different photo needs a new key`);
      }
      return reply.status(200).header('idempotent-replayed', 'true').send((await service.detail(caseId))!.photos.find((x) => x.id === earlier.id)!);
    }
    service.check('photo', actor, rec);
    if (p.role === 'field' && !CREW_PHOTO_STAGES.has(rec.stage)) {
      throw new HttpError(409, 'invalid_transition', `cannot add a photo to case ${caseId} in stage ${rec.stage}: a crew adds photos while the task is dispatched or handling`);
    }
    const saved = photos.save(caseId, req.body, type);
    let d;
    try {
      d = await service.addPhoto(caseId, { id: saved.id, phase: req.query.phase, file: saved.file, contentType: type, bytes: saved.bytes, idempotencyKey: key }, actor);
    } catch (err) {
      photos.discard(caseId, saved.file);
      throw err;
    }
    await audit(req, 'case.photo', caseId, { photoId: saved.id, phase: req.query.phase, contentType: type, bytes: saved.bytes, idempotent: key !== null });
    return reply.status(201).send(d.photos.find((p) => p.id === saved.id)!);
  });

  app.get('/api/cases/:id/photos/:photoId', {
    onRequest: anyone,
    schema: { tags, description: 'The photo file, with its content type (a crew: only of a case its unit is or was assigned to).', params: PhotoParams, response: { 200: Type.Unknown({ description: 'the image bytes (image/jpeg, image/png or image/webp)' }), 403: ErrorResponse, 404: ErrorResponse, ...read } },
  }, async (req, reply) => {
    await crewMayRead(req, req.params.id);
    const p = await service.photo(req.params.id, req.params.photoId);
    if (!p) throw new HttpError(404, 'not_found', `case ${req.params.id} has no photo ${req.params.photoId}`);
    return reply.type(p.contentType).header('content-length', p.bytes).header('cache-control', 'private, max-age=86400, immutable').send(createReadStream(photos.path(p.caseId, p.file)));
  });

  app.get(`${PHOTO_LINK_PREFIX}/:caseId/:photoId`, {
    schema: {
      tags, description: 'A photo through a signed link (Open311 media_url, the citizen\'s status page): no login; the link names one photo and expires.',
      params: SignedPhotoParams, querystring: SignedPhotoQuery,
      response: { 200: Type.Unknown({ description: 'the image bytes' }), 403: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req, reply) => {
    const { caseId, photoId } = req.params;
    const refused = links.check(caseId, photoId, req.query.exp, req.query.sig);
    if (refused) throw new HttpError(403, 'forbidden', `this photo link is not valid (${refused})`);
    const p = await service.photo(caseId, photoId);
    if (!p) throw new HttpError(404, 'not_found', `case ${caseId} has no photo ${photoId}`);
    return reply.type(p.contentType).header('content-length', p.bytes).header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff').send(createReadStream(photos.path(p.caseId, p.file)));
  });
};
export default cases;
