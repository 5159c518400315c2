/**
 * The cases module behind CasesPort: every action is checked against the workflow table,
 * written in one transaction guarded by the row version (a stale version is a 409), and
 * announced on the domain bus after the commit — 'case:transition' for each workflow step
 * (awaited: the SLA clocks and dispatch follow it before the step is answered), 'case:changed'
 * for every change. An action given the caller's unit of work (dispatch, the SLA clocks)
 * writes in the caller's transaction and announces when that one commits.
 */
import type { Alarm } from '../../shared/alarms.ts';
import {
  OPEN_STAGES, type CaseAction, type CaseAssignment, type CaseDetail, type CaseRequestKind, type CaseSummary, type CaseTaxonomy,
  type NewCase, type Organisation, type TaxonomyItem,
} from '../../shared/cases.ts';
import type { DistrictPack } from '../../shared/district.ts';
import type { SlaClock } from '../../shared/sla.ts';
import type { DistrictLocator } from '../district/locator.ts';
import { HttpError } from '../http-error.ts';
import type { DomainEvents } from '../ops/domain-events.ts';
import { SYSTEM_ACTOR, type Actor, type CasesPort, type SlaPort } from '../ops/ports.ts';
import type { SqlExecutor, SqlStore } from '../store/sql/types.ts';
import { withUnitOfWork, type UnitOfWork } from '../store/sql/unit-of-work.ts';
import { CasesRepo, type CaseFilter, type CaseRecord, type PhotoRecord } from './cases-repo.ts';
import { assignedOrgFor, caseCode, localDay, locateCase } from './case-place.ts';
import { REQUEST_ACTION, decide as decideAction, decideRequest, type WorkflowAction } from './workflow.ts';

export interface CasesServiceDeps {
  store: SqlStore;
  pack: Pick<DistrictPack, 'meta' | 'taxonomy' | 'organisations' | 'grids'>;
  locator: DistrictLocator;
  events: DomainEvents;
  now: () => number;
  /** Obtained lazily: the SLA module registers after this one (or not at all). */
  sla: () => SlaPort | undefined;
  /** Human case numbers start with this, e.g. LX. */
  codePrefix: string;
}

interface ActOptions {
  version?: number | undefined;
  note?: string | undefined;
  data?: Record<string, unknown>;
  actingUnit?: string | null;
  /** Changes the next row; return false to leave the row (and its version) alone. */
  change?: (next: CaseRecord) => void;
  /** Extra writes in the same transaction. */
  also?: (rec: CaseRecord, repo: CasesRepo) => Promise<void>;
  /** Check right after the workflow check, before anything is written (reads in the action's transaction). */
  guard?: (rec: CaseRecord, repo: CasesRepo) => Promise<void>;
  /** The caller's unit of work to write in (else the action opens its own). */
  uow?: UnitOfWork | undefined;
}

/** Actions that leave the case row as it is: no version bump, so nobody's next step is refused for them. */
const ROW_UNCHANGED: ReadonlySet<WorkflowAction> = new Set(['note', 'photo', 'requestSendBack', 'requestExtension', 'requestSuspension', 'requestVoid', 'reject']);
/** Not workflow steps: no 'case:transition'. */
const NOT_STEPS: ReadonlySet<WorkflowAction> = new Set(['note', 'photo']);

export class CasesService implements CasesPort {
  private readonly tax: CaseTaxonomy;
  private readonly items: Map<string, TaxonomyItem>;
  private readonly orgs: Map<string, Organisation>;
  /** Reads outside any transaction. */
  private readonly repo: CasesRepo;

  constructor(private readonly d: CasesServiceDeps) {
    this.repo = new CasesRepo(d.store);
    this.tax = d.pack.taxonomy ?? { classes: [], items: [] };
    this.items = new Map(this.tax.items.map((i) => [i.code, i]));
    this.orgs = new Map((d.pack.organisations ?? []).map((o) => [o.code, o]));
  }

  taxonomy(): CaseTaxonomy { return this.tax; }
  item(code: string): TaxonomyItem | undefined { return this.items.get(code); }
  organisations(): Organisation[] { return [...this.orgs.values()]; }

  async get(caseId: number): Promise<CaseSummary | undefined> {
    const rec = await this.repo.get(caseId);
    return rec && (await this.summaries([rec]))[0];
  }

  /** The case as it stands; `sql`: read inside that transaction (a caller's unit of work). */
  async detail(caseId: number, sql?: SqlExecutor): Promise<CaseDetail | undefined> {
    const repo = sql ? new CasesRepo(sql) : this.repo;
    const rec = await repo.get(caseId);
    if (!rec) return undefined;
    const [summaries, timeline, photos, requests, evaluation] = await Promise.all([
      this.summaries([rec], sql), repo.timeline(caseId), repo.photos(caseId), repo.requests(caseId), repo.evaluation(caseId),
    ]);
    const rated = timeline.find((e) => e.action === 'rate');
    return {
      ...summaries[0]!,
      description: rec.description,
      photos: photos.map((p) => ({ id: p.id, phase: p.phase, url: `/api/cases/${caseId}/photos/${p.id}`, contentType: p.contentType, bytes: p.bytes, ts: p.ts, by: p.by })),
      timeline,
      requests,
      evaluation,
      citizenRating: rated ? { score: Number(rated.data?.score), comment: rated.note, ts: rated.ts } : null,
    };
  }

  async openCases(): Promise<CaseSummary[]> { return this.summaries(await this.repo.query({ open: true }, OPEN_STAGES)); }
  async changedSince(ts: number): Promise<CaseSummary[]> { return this.summaries(await this.repo.changedSince(ts)); }

  /** The queue: open cases first — emergencies, then by the nearest clock deadline — then the rest, latest first. */
  async list(filter: CaseFilter): Promise<CaseSummary[]> {
    const limit = filter.limit ?? 100;
    const open = filter.open === false ? [] : await this.summaries(await this.repo.query({ ...filter, open: true, limit: undefined }, OPEN_STAGES));
    const due = (c: CaseSummary) => Math.min(...c.clocks.filter((k) => k.endTs === null).map((k) => k.dueTs));
    open.sort((a, b) => Number(b.emergency) - Number(a.emergency) || due(a) - due(b) || b.createdTs - a.createdTs);
    const rest = filter.open === true || open.length >= limit ? [] : await this.summaries(await this.repo.query({ ...filter, open: false, limit: limit - open.length }, OPEN_STAGES));
    return [...open, ...rest].slice(0, limit);
  }

  async report(input: NewCase, actor: Actor, uow?: UnitOfWork): Promise<CaseDetail> {
    const item = this.requireItem(input.itemCode);
    const location = locateCase(this.d.locator, this.d.pack.meta.name, input.lon, input.lat, input.address ?? null);
    const refused = decideAction('report', actor, { stage: null, suspended: false, assignedUnit: null });
    if (!refused.ok) throw new HttpError(refused.status, refused.code, refused.reason);
    const register = input.register === true;
    if (register) this.check('register', actor, { stage: 'reported', suspended: false, assignment: null });
    const now = this.d.now();
    const id = await withUnitOfWork(this.d.store, uow, async (u) => {
      const repo = new CasesRepo(u.tx);
      const day = localDay(now, this.d.pack.meta.timezone);
      const code = caseCode(this.d.codePrefix, day, await repo.nextNumber(day));
      const caseId = await repo.insert({
        code, title: input.title?.trim() || item.name, description: input.description ?? '', itemCode: item.code, category: item.category,
        source: input.source, stage: register ? 'registered' : 'reported', suspended: false, emergency: input.emergency ?? item.emergency,
        difficulty: item.difficulty, lon: location.lon, lat: location.lat, streetCode: location.streetCode, communityCode: location.communityCode,
        gridId: location.gridId, address: location.address, assignedOrg: assignedOrgFor(item, location.streetCode, this.orgs), assignment: null,
        alarmId: input.alarmId ?? null, escalationLevel: 0, reworkCount: 0, reportedBy: actor.name, createdTs: now, updatedTs: now, closedTs: null, version: 1,
      });
      await this.timeline(repo, caseId, now, actor, 'report', null, 'reported', null, { source: input.source, itemCode: item.code, ...(input.alarmId !== undefined ? { alarmId: input.alarmId } : {}) });
      if (register) await this.timeline(repo, caseId, now, actor, 'register', 'reported', 'registered', null, null);
      u.afterCommit(async () => {
        await this.d.events.emitSettled('case:transition', { caseId, action: 'report', from: null, to: 'reported', actor: actor.name, at: now, data: { source: input.source } });
        if (register) await this.d.events.emitSettled('case:transition', { caseId, action: 'register', from: 'reported', to: 'registered', actor: actor.name, at: now });
        this.d.events.emit('case:changed', caseId);
      });
      return caseId;
    });
    // Inside a caller's unit of work: as that transaction sees it (its opener reads it again once committed).
    return (await this.detail(id, uow?.tx))!;
  }

  async transition(caseId: number, action: CaseAction, actor: Actor, opts: { version?: number; note?: string; score?: number; itemCode?: string }): Promise<CaseDetail> {
    switch (action) {
      case 'register': {
        const item = opts.itemCode === undefined ? undefined : this.requireItem(opts.itemCode);
        return this.act(caseId, 'register', actor, {
          ...opts, ...(item ? { data: { itemCode: item.code } } : {}),
          change: (n) => {
            if (!item || item.code === n.itemCode) return;
            Object.assign(n, { itemCode: item.code, category: item.category, difficulty: item.difficulty, emergency: item.emergency, assignedOrg: assignedOrgFor(item, n.streetCode, this.orgs) });
          },
        });
      }
      case 'verifyPass': case 'close':
        return this.act(caseId, action, actor, { ...opts, change: (n) => { if (action === 'close') n.closedTs = n.updatedTs; } });
      case 'verifyFail':
        return this.act(caseId, action, actor, { ...opts, change: (n) => { n.reworkCount += 1; }, data: {} });
      case 'evaluate': {
        const score = opts.score;
        if (score === undefined || !Number.isInteger(score) || score < 1 || score > 5) throw new HttpError(400, 'bad_request', 'score must be an integer from 1 to 5');
        return this.act(caseId, action, actor, {
          ...opts, data: { score },
          // The stage may already be evaluated by the citizen's rating (评议): one evaluation by people all the same.
          guard: async (rec, repo) => { if (await repo.evaluation(rec.id)) throw new HttpError(409, 'invalid_transition', `case ${rec.code} is already evaluated`); },
          also: (rec, repo) => repo.setEvaluation(rec.id, { score, comment: opts.note ?? null, by: actor.name, ts: this.d.now() }),
        });
      }
      case 'note':
        if (!opts.note?.trim()) throw new HttpError(400, 'bad_request', 'note must be a non-empty text');
        return this.act(caseId, action, actor, opts);
      case 'escalate': {
        const rec = await this.requireCase(caseId);
        if (rec.escalationLevel >= 2) throw new HttpError(409, 'invalid_transition', `cannot escalate a case in stage ${rec.stage} further: the department (level 2) is already notified`);
        const level = rec.escalationLevel + 1;
        return this.act(caseId, action, actor, { ...opts, ...this.escalation(rec, level) });
      }
      default:
        throw new HttpError(400, 'bad_request', `action ${action} is not taken through transitions (use register, verifyPass, verifyFail, close, evaluate, note or escalate)`);
    }
  }

  async dispatch(caseId: number, assignment: CaseAssignment, actor: Actor, opts: { version?: number; reassign?: boolean; note?: string; uow?: UnitOfWork }): Promise<CaseDetail> {
    const rec = await this.requireCase(caseId, opts.uow?.tx);
    const action = opts.reassign || rec.stage === 'dispatched' || rec.stage === 'handling' ? 'reassign' : 'dispatch';
    return this.act(caseId, action, actor, {
      ...opts,
      // One instant for the act: the timeline entry and the arrival clock's start are the assignment's dispatch time.
      at: assignment.dispatchedTs,
      data: { unitId: assignment.unitId, etaTs: assignment.etaTs, ...(rec.assignment ? { previousUnitId: rec.assignment.unitId } : {}) },
      change: (n) => { n.assignment = assignment; },
    });
  }

  async release(caseId: number, actor: Actor, opts: { version?: number; note?: string; uow?: UnitOfWork }): Promise<CaseDetail> {
    const rec = await this.requireCase(caseId, opts.uow?.tx);
    return this.act(caseId, 'release', actor, { ...opts, data: { unitId: rec.assignment?.unitId ?? null }, change: (n) => { n.assignment = null; } });
  }

  async unitStep(caseId: number, step: 'accept' | 'enRoute' | 'arrive', actor: Actor, data: Record<string, unknown> = {}, uow?: UnitOfWork): Promise<CaseDetail> {
    const rec = await this.requireCase(caseId, uow?.tx);
    const unitId = rec.assignment?.unitId ?? null;
    const at = typeof data.at === 'number' ? data.at : this.d.now();
    return this.act(caseId, step, actor, {
      // the arrival clock ends at the very arrivedTs the case shows
      at,
      uow,
      actingUnit: typeof data.unitId === 'string' ? data.unitId : actor.name,
      data: { ...data, unitId },
      change: (n) => { if (step === 'arrive' && n.assignment && n.assignment.arrivedTs === null) n.assignment = { ...n.assignment, arrivedTs: at }; },
      // "On my way" is said once per assignment: a phone's retry must not write it twice.
      ...(step === 'enRoute' ? { guard: (_r: CaseRecord, repo: CasesRepo) => this.refuseSecondEnRoute(repo, caseId, rec.code, unitId) } : {}),
    });
  }

  private async refuseSecondEnRoute(repo: CasesRepo, caseId: number, code: string, unitId: string | null): Promise<void> {
    const tl = await repo.timeline(caseId);
    let i = tl.length - 1;
    while (i >= 0 && !['dispatch', 'reassign', 'verifyFail'].includes(tl[i]!.action)) i--;
    const earlier = tl.slice(i + 1).find((e) => e.action === 'enRoute');
    if (earlier) throw new HttpError(409, 'invalid_transition', `unit ${unitId ?? '?'} is already on its way to case ${code} (said by ${earlier.actor})`);
  }

  async feedback(caseId: number, actor: Actor, opts: { note: string; photoIds?: string[]; unitId?: string; uow?: UnitOfWork }): Promise<CaseDetail> {
    if (!opts.note?.trim()) throw new HttpError(400, 'bad_request', 'note must say what was done');
    const photoIds = opts.photoIds ?? [];
    const reads = opts.uow ? new CasesRepo(opts.uow.tx) : this.repo;
    for (const p of photoIds) if (!(await reads.photo(caseId, p))) throw new HttpError(400, 'bad_request', `photoIds: photo ${p} is not a photo of case ${caseId}`);
    const rec = await this.requireCase(caseId, opts.uow?.tx);
    return this.act(caseId, 'feedback', actor, { note: opts.note, uow: opts.uow, actingUnit: opts.unitId ?? actor.name, data: { unitId: rec.assignment?.unitId ?? null, photoIds } });
  }

  async request(caseId: number, kind: CaseRequestKind, actor: Actor, opts: { reason: string; days?: number; version?: number }): Promise<CaseDetail> {
    if (!opts.reason?.trim()) throw new HttpError(400, 'bad_request', 'reason must be a non-empty text');
    const days = kind === 'extension' ? opts.days : undefined;
    if (kind === 'extension' && (days === undefined || !Number.isInteger(days) || days < 1 || days > 30)) throw new HttpError(400, 'bad_request', 'days must be an integer from 1 to 30 for an extension');
    let requestId = 0;
    return this.act(caseId, REQUEST_ACTION[kind], actor, {
      version: opts.version, note: opts.reason,
      guard: async (_rec, repo) => {
        const pending = (await repo.requests(caseId)).find((r) => r.kind === kind && r.state === 'pending');
        if (pending) throw new HttpError(409, 'invalid_transition', `request #${pending.id} (${kind}) is already pending on this case`);
      },
      also: async (_rec, repo) => { requestId = await repo.addRequest(caseId, kind, opts.reason.trim(), days ?? null, actor.name, this.d.now()); },
      // Read after `also` has inserted the request, so the timeline and the event carry its id.
      get data() { return { kind, requestId, ...(days !== undefined ? { days } : {}) }; },
    });
  }

  async decide(caseId: number, requestId: number, approve: boolean, actor: Actor, note?: string): Promise<CaseDetail> {
    const rec = await this.requireCase(caseId);
    const req = await this.repo.request(caseId, requestId);
    if (!req) throw new HttpError(404, 'not_found', `case ${caseId} has no request ${requestId}`);
    const verdict = decideRequest(req, approve, actor, { stage: rec.stage, suspended: rec.suspended, assignedUnit: rec.assignment?.unitId ?? null });
    if (!verdict.ok) throw new HttpError(verdict.status, verdict.code, verdict.reason);
    const data = { kind: req.kind, requestId, ...(req.days !== null ? { days: req.days } : {}), ...(req.kind === 'sendBack' ? { unitId: rec.assignment?.unitId ?? null } : {}) };
    return this.act(caseId, approve ? 'approve' : 'reject', actor, {
      note, data,
      change: (n) => {
        if (!approve) return;
        if (verdict.to !== null) n.stage = verdict.to;
        if (req.kind === 'sendBack') n.assignment = null;
        if (req.kind === 'suspension') n.suspended = true;
      },
      also: async (_rec, repo) => { if (!(await repo.decideRequest(requestId, approve, actor.name, this.d.now(), note ?? null))) throw new HttpError(409, 'conflict', `request ${requestId} was decided by someone else first`); },
    });
  }

  resume(caseId: number, actor: Actor, opts: { version?: number; note?: string }): Promise<CaseDetail> {
    return this.act(caseId, 'resume', actor, { ...opts, change: (n) => { n.suspended = false; } });
  }

  /**
   * 评议: the citizen who reported the case rates the result, once, after it is closed. The
   * score and comment live in the timeline entry (CaseDetail.citizenRating reads them there).
   */
  async rate(caseId: number, score: number, comment: string | null, actor: Actor): Promise<CaseDetail> {
    if (!Number.isInteger(score) || score < 1 || score > 5) throw new HttpError(400, 'bad_request', 'score must be an integer from 1 to 5');
    return this.act(caseId, 'rate', actor, {
      note: comment ?? undefined, data: { score },
      guard: async (rec, repo) => {
        if ((await repo.timeline(rec.id)).some((e) => e.action === 'rate')) throw new HttpError(409, 'invalid_transition', `case ${rec.code} is already rated by its reporter`);
      },
    });
  }

  async appendSystem(caseId: number, action: CaseAction, note: string, data?: Record<string, unknown>, at?: number, uow?: UnitOfWork): Promise<void> {
    await withUnitOfWork(this.d.store, uow, async (u) => {
      const repo = new CasesRepo(u.tx);
      const rec = await this.requireCase(caseId, u.tx);
      await this.timeline(repo, caseId, at ?? this.d.now(), SYSTEM_ACTOR, action, rec.stage, rec.stage, note, data ?? null);
      u.afterCommit(() => this.d.events.emit('case:changed', caseId));
    });
  }

  async escalate(caseId: number, level: number, notified: string, at: number, actor: Actor = SYSTEM_ACTOR, uow?: UnitOfWork): Promise<void> {
    const rec = await this.requireCase(caseId, uow?.tx);
    // Idempotent: the SLA module may repeat a step after a restart.
    if (level <= rec.escalationLevel || !OPEN_STAGES.includes(rec.stage)) return;
    await this.act(caseId, 'escalate', actor, { at, uow, data: { level, notified }, note: `吹哨 → ${notified}`, change: (n) => { n.escalationLevel = level; } });
  }

  async openForAlarm(alarm: Alarm, uow?: UnitOfWork): Promise<CaseDetail | null> {
    const item = this.tax.items.find((i) => i.alarmTypes?.includes(alarm.type));
    if (!item) return null;
    const reads = uow ? new CasesRepo(uow.tx) : this.repo;
    const existing = (alarm.caseId !== null ? await reads.get(alarm.caseId) : undefined) ?? await reads.openForAlarm(alarm.id, OPEN_STAGES);
    if (existing && OPEN_STAGES.includes(existing.stage)) return (await this.detail(existing.id, uow?.tx))!;
    const at = alarm.lon !== null && alarm.lat !== null ? [alarm.lon, alarm.lat] as const : this.gridCentre(alarm.gridId);
    if (!at || !this.d.locator.inDistrict(at[0], at[1])) return null; // outside the district: not ours to open
    return this.report({
      source: 'iotAlarm', itemCode: item.code, title: `${item.name} · ${alarm.entityName}`, description: alarm.detail,
      lon: at[0], lat: at[1], alarmId: alarm.id, register: true, ...(alarm.type === 'staffSos' || alarm.type === 'driverSos' ? { emergency: true } : {}),
    }, SYSTEM_ACTOR, uow);
  }

  /** Records an uploaded photo (the file is already durable on disk). */
  addPhoto(caseId: number, photo: Omit<PhotoRecord, 'caseId' | 'ts' | 'by'>, actor: Actor, uow?: UnitOfWork): Promise<CaseDetail> {
    return this.act(caseId, 'photo', actor, {
      uow,
      data: { photoId: photo.id, phase: photo.phase },
      also: (_rec, repo) => repo.addPhoto({ ...photo, caseId, ts: this.d.now(), by: actor.name }),
    });
  }

  photo(caseId: number, photoId: string): Promise<PhotoRecord | undefined> { return this.repo.photo(caseId, photoId); }

  /** The photo an earlier upload with this Idempotency-Key made on the case, if any. */
  photoByKey(caseId: number, idempotencyKey: string): Promise<PhotoRecord | undefined> { return this.repo.photoByKey(caseId, idempotencyKey); }

  async fedBackBy(unitId: string, fromTs: number, toTs: number): Promise<{ summary: CaseSummary; fedBackTs: number; by: string; note: string | null; photos: number }[]> {
    const entries = await this.repo.unitFeedbacks(unitId, fromTs, toTs);
    // A case failed at verification (返工) and done again is listed once, at its latest feedback.
    const latest = new Map(entries.map((e) => [e.caseId, e]));
    const recs = (await Promise.all([...latest.keys()].map((id) => this.repo.get(id)))).filter((r): r is CaseRecord => r !== undefined);
    const summaries = new Map((await this.summaries(recs)).map((c) => [c.id, c]));
    return [...latest.values()].flatMap((e) => {
      const summary = summaries.get(e.caseId);
      return summary ? [{ summary, fedBackTs: e.ts, by: e.actor, note: e.note, photos: e.photoIds.length }] : [];
    });
  }

  /** Whether the case is, or once was, assigned to this unit (what its crew may read). */
  async everAssigned(caseId: number, unitId: string): Promise<boolean> {
    return (await this.repo.get(caseId))?.assignment?.unitId === unitId || this.repo.everAssigned(caseId, unitId);
  }

  /** Refuses what the workflow refuses, before anything (a photo file) is written. */
  check(action: WorkflowAction, actor: Actor, rec: Pick<CaseRecord, 'stage' | 'suspended' | 'assignment'>): void {
    const v = decideAction(action, actor, { stage: rec.stage, suspended: rec.suspended, assignedUnit: rec.assignment?.unitId ?? null, actingUnit: actor.name });
    if (!v.ok) throw new HttpError(v.status, v.code, v.reason);
  }

  /** The case or 404; `sql`: read inside that transaction. */
  async requireCase(caseId: number, sql?: SqlExecutor): Promise<CaseRecord> {
    const rec = await (sql ? new CasesRepo(sql) : this.repo).get(caseId);
    if (!rec) throw new HttpError(404, 'not_found', `no case ${caseId}`);
    return rec;
  }

  /**
   * One action in one transaction (the caller's when given): the row read, checked and written
   * over its version there; announced after the commit; answered with the case as it then is
   * (read in the caller's transaction when there is one: its opener reads it again once committed).
   */
  private async act(caseId: number, action: WorkflowAction, actor: Actor, opts: ActOptions & { at?: number }): Promise<CaseDetail> {
    await withUnitOfWork(this.d.store, opts.uow, async (u) => {
      const repo = new CasesRepo(u.tx);
      const rec = await repo.get(caseId);
      if (!rec) throw new HttpError(404, 'not_found', `no case ${caseId}`);
      if (opts.version !== undefined && opts.version !== rec.version) {
        throw new HttpError(409, 'conflict', `case changed since you loaded it (version ${opts.version}, now ${rec.version})`);
      }
      const v = decideAction(action, actor, { stage: rec.stage, suspended: rec.suspended, assignedUnit: rec.assignment?.unitId ?? null, actingUnit: opts.actingUnit ?? actor.name });
      if (!v.ok) throw new HttpError(v.status, v.code, v.reason);
      await opts.guard?.(rec, repo);
      const now = opts.at ?? this.d.now();
      const touch = !ROW_UNCHANGED.has(action);
      const next: CaseRecord = { ...rec, stage: v.to ?? rec.stage, updatedTs: now, version: rec.version + 1 };
      opts.change?.(next);
      if (touch && !(await repo.update(next, rec.version))) {
        throw new HttpError(409, 'conflict', `case changed since you loaded it (version ${rec.version}, now ${(await repo.get(caseId))?.version ?? '?'})`);
      }
      await opts.also?.(rec, repo);
      // After `also`: a request's data names the id `also` inserted.
      const data = opts.data;
      await this.timeline(repo, caseId, now, actor, action, rec.stage, next.stage, opts.note?.trim() || null, data ?? null);
      u.afterCommit(async () => {
        if (!NOT_STEPS.has(action)) {
          await this.d.events.emitSettled('case:transition', { caseId, action, from: rec.stage, to: next.stage, actor: actor.name, at: now, ...(data ? { data } : {}) });
        }
        this.d.events.emit('case:changed', caseId);
      });
    });
    return (await this.detail(caseId, opts.uow?.tx))!;
  }

  private escalation(rec: CaseRecord, level: number): Pick<ActOptions, 'data' | 'change'> {
    const item = this.items.get(rec.itemCode);
    const notifiedCode = level === 1 ? rec.streetCode : (item?.deptCode ?? rec.assignedOrg ?? rec.streetCode);
    const notified = this.orgs.get(notifiedCode)?.name ?? notifiedCode;
    return { data: { level, notified, orgCode: notifiedCode }, change: (n) => { n.escalationLevel = level; } };
  }

  private async timeline(repo: CasesRepo, caseId: number, ts: number, actor: Actor, action: CaseAction, from: CaseRecord['stage'] | null, to: CaseRecord['stage'] | null, note: string | null, data: Record<string, unknown> | null): Promise<void> {
    await repo.addTimeline({ caseId, ts, actor: actor.name, actorRole: actor.role, action, fromStage: from, toStage: to, note, data });
  }

  private requireItem(code: string): TaxonomyItem {
    const item = this.items.get(code);
    if (!item) throw new HttpError(400, 'bad_request', `itemCode: unknown taxonomy item ${JSON.stringify(code)} (see GET /api/taxonomy)`);
    return item;
  }

  private gridCentre(gridId: string): [number, number] | null {
    const ring = this.d.pack.grids.features.find((g) => g.properties.id === gridId)?.geometry.coordinates[0];
    if (!ring || ring.length < 2) return null;
    const pts = ring.slice(0, -1);
    return [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
  }

  private async summaries(recs: CaseRecord[], sql?: SqlExecutor): Promise<CaseSummary[]> {
    const sla = this.d.sla();
    const clocks = recs.length === 0 || !sla ? new Map<number, SlaClock[]>() : await sla.clocksForMany(recs.map((r) => r.id), sql);
    return recs.map(({ description: _d, reworkCount: _r, lon, lat, streetCode, communityCode, gridId, address, ...r }) => ({
      ...r, location: { lon, lat, streetCode, communityCode, gridId, address }, clocks: clocks.get(r.id) ?? [],
    }));
  }
}
