import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { UnitState } from '../../shared/dispatch.ts';
import { localDate } from '../../shared/local-time.ts';
import {
  CaseDetailPassThrough, CaseIdParams, CoverageSchema, CrewDoneBody, DispatchBody, RecommendationsQuery, RecommendationsResponse,
  ReassignBody, ReleaseBody, SendBackBody, UnitDetailSchema, UnitIdParams, UnitStateSchema, UnitsQuery, UnitTasksQuery, UnitTasksResponse,
  type UnitFinishedTask, type UnitTask,
} from '../../shared/schemas/dispatch.ts';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';
import type { Actor, CasesPort } from '../ops/ports.ts';

export interface DispatchRoutesOptions {
  now: () => number;
  /** The cases module, found at request time (it registers after dispatch). */
  cases: () => CasesPort;
}

const DAY_MS = 86_400_000;

/** The instants of a district-local date: a UTC window wide enough for any zone, cut by the local date itself. */
function dayWindow(day: string): { fromTs: number; toTs: number } | null {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnightUtc = Date.UTC(y, m - 1, d);
  const back = new Date(midnightUtc);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return null;
  return { fromTs: midnightUtc - 14 * 3_600_000, toTs: midnightUtc + DAY_MS + 14 * 3_600_000 };
}

/**
 * Dispatch over HTTP. Dispatchers and admins dispatch; leaders (and walls) read; a crew user acts
 * only for its own unit. Every write is audited.
 */
const dispatch: FastifyPluginAsyncTypebox<DispatchRoutesOptions> = async (app, { now, cases }) => {
  const d = app.dispatch;
  const readers = app.auth.requireRole('dispatcher', 'admin', 'leader', 'wall');
  const dispatchers = app.auth.requireRole('dispatcher', 'admin');
  const crewOrDispatch = app.auth.requireRole('field', 'dispatcher', 'admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };
  const writeErrors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, ...denied };
  const actor = (req: FastifyRequest): Actor => ({ name: req.principal!.name, role: req.principal!.role });
  const audit = (req: FastifyRequest, action: string, target: string, detail?: Record<string, unknown>) =>
    app.store.audit.record({ actor: req.principal!.name, action, target, detail });

  app.get('/api/cases/:id/recommendations', {
    onRequest: dispatchers,
    schema: {
      tags: ['dispatch'], description: 'Nearest available suitable units: straight-line shortlist ranked by road ETA, each with its reasons.',
      params: CaseIdParams, querystring: RecommendationsQuery, response: { 200: RecommendationsResponse, 404: ErrorResponse, ...denied },
    },
  }, async (req) => {
    const c = await d.caseSummary(req.params.id);
    const r = d.recommendFor(c, req.query.limit ?? 5);
    return { caseId: c.id, skillFallback: r.skillFallback, units: r.units };
  });

  app.post('/api/cases/:id/dispatch', {
    onRequest: dispatchers,
    schema: { tags: ['dispatch'], description: '派遣: one action — the unit must be available; routes it and dispatches the case.', params: CaseIdParams, body: DispatchBody, response: { 200: CaseDetailPassThrough, ...writeErrors } },
  }, async (req) => {
    const opts: { version?: number; note?: string } = {};
    if (req.body.version !== undefined) opts.version = req.body.version;
    if (req.body.note !== undefined) opts.note = req.body.note;
    const detail = await d.dispatchCase(req.params.id, req.body.unitId, actor(req), opts);
    await audit(req, 'case.dispatch', String(req.params.id), { unitId: req.body.unitId });
    return detail;
  });

  app.post('/api/cases/:id/reassign', {
    onRequest: dispatchers,
    schema: { tags: ['dispatch'], description: '改派: another unit takes the case; the old one is available again.', params: CaseIdParams, body: ReassignBody, response: { 200: CaseDetailPassThrough, ...writeErrors } },
  }, async (req) => {
    const opts: { version?: number; reason: string } = { reason: req.body.reason };
    if (req.body.version !== undefined) opts.version = req.body.version;
    const detail = await d.reassign(req.params.id, req.body.unitId, actor(req), opts);
    await audit(req, 'case.reassign', String(req.params.id), { unitId: req.body.unitId, reason: req.body.reason });
    return detail;
  });

  app.post('/api/cases/:id/release', {
    onRequest: dispatchers,
    schema: { tags: ['dispatch'], description: 'The unit is taken off the case, which awaits dispatch again.', params: CaseIdParams, body: ReleaseBody, response: { 200: CaseDetailPassThrough, ...writeErrors } },
  }, async (req) => {
    const opts: { version?: number; reason: string } = { reason: req.body.reason };
    if (req.body.version !== undefined) opts.version = req.body.version;
    const detail = await d.release(req.params.id, actor(req), opts);
    await audit(req, 'case.release', String(req.params.id), { reason: req.body.reason });
    return detail;
  });

  app.get('/api/units', {
    onRequest: readers,
    schema: { tags: ['dispatch'], description: 'Units (staff, sanitation vehicles) with status, skills and time-in-status warnings.', querystring: UnitsQuery, response: { 200: Type.Array(UnitStateSchema), 400: ErrorResponse, ...denied } },
  }, async (req) => d.units(req.query));

  app.get('/api/units/:id', {
    onRequest: app.auth.requireRole('dispatcher', 'admin', 'leader', 'wall', 'field'),
    schema: { tags: ['dispatch'], description: 'One unit with its current task (a crew user sees only its own unit).', params: UnitIdParams, response: { 200: UnitDetailSchema, 404: ErrorResponse, ...denied } },
  }, async (req) => {
    ownUnitOnly(req, req.params.id);
    const u = d.unit(req.params.id);
    if (!u) throw new HttpError(404, 'not_found', `no unit ${req.params.id}`);
    const pos = app.live.get(u.entityId)?.pos;
    return { ...u, task: await taskOf(u), position: pos ? { lon: pos.lon, lat: pos.lat, ts: pos.ts } : null };
  });

  const crewRoute = (path: string, step: 'accept' | 'enRoute', description: string) =>
    app.post(path, {
      onRequest: crewOrDispatch,
      schema: { tags: ['dispatch'], description, params: UnitIdParams, response: { 200: CaseDetailPassThrough, ...writeErrors } },
    }, async (req) => {
      ownUnitOnly(req, req.params.id);
      const detail = await d.crewStep(req.params.id, step, actor(req));
      await audit(req, `unit.${step}`, req.params.id, { caseId: detail.id });
      return detail;
    });
  crewRoute('/api/units/:id/accept', 'accept', 'The crew accepts its task (接单).');
  crewRoute('/api/units/:id/en-route', 'enRoute', 'The crew is on its way. Arrival is never told: it is detected from positions.');

  app.post('/api/units/:id/done', {
    onRequest: crewOrDispatch,
    schema: { tags: ['dispatch'], description: '反馈: the crew reports the task done with a note and after-photos; the unit returns.', params: UnitIdParams, body: CrewDoneBody, response: { 200: CaseDetailPassThrough, ...writeErrors } },
  }, async (req) => {
    ownUnitOnly(req, req.params.id);
    const opts: { note: string; photoIds?: string[] } = { note: req.body.note };
    if (req.body.photoIds) opts.photoIds = req.body.photoIds;
    const detail = await d.crewStep(req.params.id, 'done', actor(req), opts);
    await audit(req, 'unit.done', req.params.id, { caseId: detail.id, photos: req.body.photoIds?.length ?? 0 });
    return detail;
  });

  app.post('/api/units/:id/send-back', {
    onRequest: app.auth.requireRole('field'),
    schema: { tags: ['dispatch'], description: '退回: the crew asks to send its current task back, with a reason. A leader or admin decides; until then the task stays the unit\'s.', params: UnitIdParams, body: SendBackBody, response: { 201: CaseDetailPassThrough, ...writeErrors } },
  }, async (req, reply) => {
    ownUnitOnly(req, req.params.id);
    const u = d.unit(req.params.id);
    if (!u) throw new HttpError(404, 'not_found', `no unit ${req.params.id}`);
    if (u.caseId === null || !(u.status === 'dispatched' || u.status === 'enRoute' || u.status === 'onScene')) {
      throw new HttpError(409, 'invalid_transition', `unit ${req.params.id} has no task to send back`);
    }
    const detail = await cases().request(u.caseId, 'sendBack', actor(req), { reason: req.body.reason });
    await audit(req, 'unit.sendBack', req.params.id, { caseId: u.caseId, reason: req.body.reason });
    return reply.status(201).send(detail);
  });

  app.get('/api/units/:id/tasks', {
    onRequest: app.auth.requireRole('dispatcher', 'admin', 'leader', 'field'),
    schema: {
      tags: ['dispatch'], description: 'The tasks a unit reported done (反馈) on a district-local day, oldest first, with where each case is now (a crew user sees only its own unit).',
      params: UnitIdParams, querystring: UnitTasksQuery, response: { 200: UnitTasksResponse, 400: ErrorResponse, 404: ErrorResponse, ...denied },
    },
  }, async (req) => {
    ownUnitOnly(req, req.params.id);
    if (!d.unit(req.params.id)) throw new HttpError(404, 'not_found', `no unit ${req.params.id}`);
    const timeZone = app.district.pack.meta.timezone;
    const day = req.query.day ?? localDate(now(), timeZone);
    const window = dayWindow(day);
    if (!window) throw new HttpError(400, 'bad_request', `day: ${day} is not a calendar date (YYYY-MM-DD)`);
    const tasks: UnitFinishedTask[] = (await cases().fedBackBy(req.params.id, window.fromTs, window.toTs))
      .filter((t) => localDate(t.fedBackTs, timeZone) === day)
      .map(({ summary: c, fedBackTs, by, note, photos }) => ({
        caseId: c.id, code: c.code, title: c.title, address: c.location.address, emergency: c.emergency, stage: c.stage, fedBackTs, by, note, photos,
      }));
    return { unitId: req.params.id, day, timeZone, tasks };
  });

  app.get('/api/coverage', {
    onRequest: readers,
    schema: { tags: ['dispatch'], description: 'The 7-minute coverage layer: road reachable by some available unit within the target, and the gaps. Recomputed at most every 10 s.', response: { 200: CoverageSchema, ...denied } },
  }, async () => app.coverage.current());

  function ownUnitOnly(req: FastifyRequest, unitId: string): void {
    const p = req.principal!;
    if (p.role === 'field' && p.unitId !== unitId) throw new HttpError(403, 'forbidden', 'a crew acts only for its own unit');
  }

  async function taskOf(u: UnitState): Promise<UnitTask | null> {
    if (u.caseId === null) return null;
    let c;
    try {
      c = await d.caseSummary(u.caseId);
    } catch {
      return null;
    }
    const a = c.assignment;
    return {
      caseId: c.id, code: c.code, title: c.title, stage: c.stage, emergency: c.emergency,
      lon: c.location.lon, lat: c.location.lat, address: c.location.address,
      dispatchedTs: a?.dispatchedTs ?? u.since, etaTs: a?.etaTs ?? null, arrivedTs: a?.arrivedTs ?? null, route: a?.route ?? [],
    };
  }
};
export default dispatch;
