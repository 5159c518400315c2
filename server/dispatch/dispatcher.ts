/**
 * Dispatch (派遣): recommend, dispatch, reassign and release; the crew's own steps; arrival on
 * scene detected from live positions. Implements DispatchPort; talks to cases only through
 * CasesPort. A unit's engagement and the case's dispatch commit in one transaction (the cases
 * module joins the dispatcher's unit of work), and the unit row is versioned: of two dispatchers
 * sending the same unit, one wins, the other gets 409.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CaseAssignment, CaseDetail, CaseSummary } from '../../shared/cases.ts';
import { AVAILABLE_STATUSES, type UnitRecommendation, type UnitState, type UnitStatus } from '../../shared/dispatch.ts';
import { distanceM } from '../../shared/geo.ts';
import type { TravelRouters } from '../district/travel-time.ts';
import { HttpError } from '../http-error.ts';
import type { LiveChange } from '../live/change-stream.ts';
import type { DomainEvents } from '../ops/domain-events.ts';
import { SYSTEM_ACTOR, type Actor, type CasesPort, type DispatchPort } from '../ops/ports.ts';
import type { SqlStore } from '../store/sql/types.ts';
import { inUnitOfWork, type UnitOfWork } from '../store/sql/unit-of-work.ts';
import { recommendUnits, routeUnit, type RecommendResult } from './recommend.ts';
import { modeOf } from './units.ts';
import type { DispatchSettings } from './settings.ts';
import type { UnitBook, UnitFilter } from './unit-book.ts';
import { UnitsRepo, type EngagementRow } from './units-repo.ts';

export interface DispatcherDeps {
  store: SqlStore;
  book: UnitBook;
  routers: TravelRouters;
  cases: () => CasesPort;
  events: DomainEvents | undefined;
  now: () => number;
  settings: DispatchSettings;
  log?: (msg: string, err?: unknown) => void;
}

const AVAILABLE: ReadonlySet<UnitStatus> = new Set(AVAILABLE_STATUSES);
const CASE_ENDS = new Set(['closed', 'evaluated', 'voided']);

export class Dispatcher implements DispatchPort {
  private readonly warned = new Map<string, string>();
  /** Set while our own action runs: the case transitions it causes are ours to handle, not news. */
  private readonly acting = new AsyncLocalStorage<true>();
  /** Units whose arrival is being written: the positions that follow meanwhile do not write it again. */
  private readonly arriving = new Set<string>();

  constructor(private readonly deps: DispatcherDeps) {}

  units(filter?: UnitFilter): UnitState[] {
    return this.deps.book.list(filter);
  }

  unit(entityId: string): UnitState | undefined {
    return this.deps.book.get(entityId);
  }

  engaged(): UnitState[] {
    return this.deps.book.engaged();
  }

  async recommend(caseId: number, limit = 5): Promise<UnitRecommendation[]> {
    return this.recommendFor(await this.caseSummary(caseId), limit).units;
  }

  /** Recommendation with the note whether the skills filter had to be dropped. */
  recommendFor(c: CaseSummary, limit = 5): RecommendResult {
    const { book, routers, now, settings } = this.deps;
    const skills = this.deps.cases().item(c.itemCode)?.skills ?? [];
    return recommendUnits(
      { routers, index: book.index, candidate: (id) => book.candidate(id), now, settings },
      { lon: c.location.lon, lat: c.location.lat, gridId: c.location.gridId, streetCode: c.location.streetCode, skills },
      limit,
    );
  }

  async dispatchCase(caseId: number, unitId: string, actor: Actor, opts: { version?: number; note?: string; reassign?: boolean }): Promise<CaseDetail> {
    const { book, now } = this.deps;
    const c = await this.caseSummary(caseId);
    const entity = book.entity(unitId);
    const unit = book.get(unitId);
    if (!entity || !unit) throw new HttpError(404, 'not_found', `no unit ${unitId}`);
    if (unit.caseId === caseId) throw new HttpError(409, 'invalid_transition', `unit ${unit.name} is already on case ${c.code}`);
    if (!AVAILABLE.has(unit.status)) throw new HttpError(409, 'invalid_transition', `unit ${unit.name} is ${unit.status}, not available`);
    if (!entity.pos) throw new HttpError(409, 'invalid_transition', `unit ${unit.name} has no position to route from`);
    if (opts.reassign && !c.assignment) throw new HttpError(409, 'invalid_transition', `case ${c.code} has no unit to reassign`);
    const reassign = c.assignment !== null && c.stage !== 'registered';

    const t = now();
    const route = routeUnit(this.deps.routers[modeOf(entity)], entity.pos, c.location);
    const assignment: CaseAssignment = {
      unitId, unitName: unit.name, dispatchedTs: t,
      etaTs: route ? t + route.etaS * 1000 : null,
      route: route?.route ?? [[entity.pos.lon, entity.pos.lat], [c.location.lon, c.location.lat]],
      arrivedTs: null, by: actor.name,
    };
    const origin = entity.pos;
    await this.atomically(async (stage, units, uow) => {
      if (reassign) for (const old of book.rowsForCase(caseId)) if (old.entityId !== unitId) stage(await this.freed(units, old, t));
      stage(await units.write({
        entityId: unitId, status: 'dispatched', since: t, caseId,
        caseLon: c.location.lon, caseLat: c.location.lat, originLon: origin.lon, originLat: origin.lat,
      }, unit.version));
      const dispatchOpts: { version?: number; reassign?: boolean; note?: string; uow: UnitOfWork } = { reassign, uow };
      if (opts.version !== undefined) dispatchOpts.version = opts.version;
      if (opts.note !== undefined) dispatchOpts.note = opts.note;
      await this.deps.cases().dispatch(caseId, assignment, actor, dispatchOpts);
    });
    return this.answer(caseId);
  }

  /** 改派: the case's unit is replaced; the old unit is free again. */
  reassign(caseId: number, unitId: string, actor: Actor, opts: { version?: number; reason: string }): Promise<CaseDetail> {
    const o: { version?: number; note: string; reassign: boolean } = { note: opts.reason, reassign: true };
    if (opts.version !== undefined) o.version = opts.version;
    return this.dispatchCase(caseId, unitId, actor, o);
  }

  /** The unit is taken off the case (back to awaiting dispatch) and is available again. */
  async release(caseId: number, actor: Actor, opts: { version?: number; reason: string }): Promise<CaseDetail> {
    const c = await this.caseSummary(caseId);
    if (!c.assignment) throw new HttpError(409, 'invalid_transition', `case ${c.code} has no unit to release`);
    const t = this.deps.now();
    await this.atomically(async (stage, units, uow) => {
      for (const old of this.deps.book.rowsForCase(caseId)) stage(await this.freed(units, old, t));
      const o: { version?: number; note: string; uow: UnitOfWork } = { note: opts.reason, uow };
      if (opts.version !== undefined) o.version = opts.version;
      await this.deps.cases().release(caseId, actor, o);
    });
    return this.answer(caseId);
  }

  async crewStep(unitId: string, step: 'accept' | 'enRoute' | 'done', actor: Actor, opts: { note?: string; photoIds?: string[] } = {}): Promise<CaseDetail> {
    const { book, now } = this.deps;
    if (!book.entity(unitId)) throw new HttpError(404, 'not_found', `no unit ${unitId}`);
    const row = book.row(unitId);
    if (!row || row.caseId === null || !(row.status === 'dispatched' || row.status === 'enRoute' || row.status === 'onScene')) {
      throw new HttpError(409, 'invalid_transition', `unit ${unitId} has no task`);
    }
    const caseId = row.caseId;
    const t = now();
    // The unit's row before the case's, as in a dispatch: transactions that lock both lock them in one order (no deadlock on PostgreSQL).
    await this.atomically(async (stage, units, uow) => {
      if (step === 'done') {
        stage(await units.write({ ...row, status: 'returning', since: t }, row.version));
        // The crew acts for its unit: a signed-in crew's name is a person, not the unit id.
        const fb: { note: string; photoIds?: string[]; unitId: string; uow: UnitOfWork } = { note: opts.note ?? '', unitId, uow };
        if (opts.photoIds) fb.photoIds = opts.photoIds;
        await this.deps.cases().feedback(caseId, actor, fb);
        return;
      }
      if (row.status === 'dispatched') stage(await units.write({ ...row, status: 'enRoute', since: t }, row.version));
      await this.deps.cases().unitStep(caseId, step, actor, { unitId }, uow);
    });
    return this.answer(caseId);
  }

  /** The change-stream listener: index upkeep, live status changes, and arrival on scene (written in the background). */
  onLiveChange(change: LiveChange): void {
    const { book, events, settings } = this.deps;
    if (book.observe(change)) events?.emit('unit:changed', change.entity.id);
    const row = book.row(change.entity.id);
    if (!row || (row.status !== 'dispatched' && row.status !== 'enRoute') || row.caseLon === null || row.caseLat === null) return;
    const pos = change.after.pos;
    if (!pos || pos === change.before.pos) return;
    const d = distanceM(pos.lon, pos.lat, row.caseLon, row.caseLat);
    if (d <= settings.arrivalRadiusM && !this.arriving.has(row.entityId)) {
      this.arriving.add(row.entityId);
      this.arrive(row, pos, d)
        .catch((err: unknown) => this.deps.log?.(`arrival of ${row.entityId} at case ${row.caseId} not recorded`, err))
        .finally(() => this.arriving.delete(row.entityId));
    }
  }

  /** A case ended or lost its unit elsewhere: its units are free. A case failed at verification goes back to its unit. */
  async onCaseTransition(caseId: number, action: string, to: string | null): Promise<void> {
    if (this.acting.getStore()) return;
    if (action === 'verifyFail') return this.backToUnit(caseId);
    if (!(action === 'release' || (to !== null && CASE_ENDS.has(to)))) return;
    const rows = this.deps.book.rowsForCase(caseId);
    if (rows.length === 0) return;
    const t = this.deps.now();
    await this.atomically(async (stage, units) => { for (const r of rows) stage(await this.freed(units, r, t)); });
  }

  /** Periodic: returning units become available after their time; time-in-status warnings appear. */
  async sweep(): Promise<void> {
    const { book, now, settings, events } = this.deps;
    const t = now();
    for (const r of book.engagedRows()) {
      if (r.status === 'returning' && t - r.since >= settings.returningS * 1000) {
        await this.atomically(async (stage, units) => stage(await this.freed(units, r, t)));
        continue;
      }
      const w = book.warning(r.entityId);
      if ((w ?? '') !== (this.warned.get(r.entityId) ?? '')) {
        if (w) this.warned.set(r.entityId, w); else this.warned.delete(r.entityId);
        events?.emit('unit:changed', r.entityId);
      }
    }
  }

  /**
   * 返工: the case is dispatched again to the unit that did it, so the unit is engaged on it
   * again (from where it is now) and its arrival is detected anew. A unit that another case
   * holds meanwhile, or that is off duty or offline, is left alone: the desk reassigns the case.
   */
  private async backToUnit(caseId: number): Promise<void> {
    const { book, now } = this.deps;
    const c = await this.deps.cases().get(caseId);
    const unitId = c?.assignment?.unitId;
    if (!c || !unitId) return;
    const unit = book.get(unitId);
    const pos = book.entity(unitId)?.pos;
    if (!unit || !pos || !AVAILABLE.has(unit.status) || (unit.caseId !== null && unit.caseId !== caseId)) return;
    await this.atomically(async (stage, units) => stage(await units.write({
      entityId: unitId, status: 'dispatched', since: now(), caseId,
      caseLon: c.location.lon, caseLat: c.location.lat, originLon: pos.lon, originLat: pos.lat,
    }, unit.version)));
  }

  private async arrive(row: EngagementRow, pos: { lon: number; lat: number; ts: number }, d: number): Promise<void> {
    const caseId = row.caseId!;
    await this.atomically(async (stage, units) => stage(await units.write({ ...row, status: 'onScene', since: pos.ts }, row.version)));
    try {
      await this.deps.cases().unitStep(caseId, 'arrive', SYSTEM_ACTOR, { unitId: row.entityId, lon: pos.lon, lat: pos.lat, distanceM: Math.round(d), fixTs: pos.ts });
    } catch (err) {
      // The case moved on (voided, released meanwhile): the unit is on scene all the same.
      this.deps.log?.(`arrival of ${row.entityId} at case ${caseId} not recorded on the case`, err);
    }
    this.deps.events?.emit('unit:arrived', row.entityId, caseId, pos.ts);
  }

  private freed(units: UnitsRepo, r: EngagementRow, t: number): Promise<EngagementRow> {
    return units.write({ entityId: r.entityId, status: 'available', since: t, caseId: null, caseLon: null, caseLat: null, originLon: null, originLat: null }, r.version);
  }

  /**
   * Runs writes in one transaction — the units' through `units`, the case's through `uow` — and
   * the case's announcements after it committed; the unit cache and 'unit:changed' follow.
   */
  private async atomically(fn: (stage: (row: EngagementRow) => void, units: UnitsRepo, uow: UnitOfWork) => Promise<void>): Promise<void> {
    const staged: EngagementRow[] = [];
    await this.acting.run(true, () => inUnitOfWork(this.deps.store, (uow) => fn((r) => staged.push(r), new UnitsRepo(uow.tx), uow)));
    for (const r of staged) this.deps.book.remember(r);
    for (const r of staged) this.deps.events?.emit('unit:changed', r.entityId);
  }

  /** The case as it is once the action committed and the SLA clocks followed it. */
  private async answer(caseId: number): Promise<CaseDetail> {
    const d = await this.deps.cases().detail(caseId);
    if (!d) throw new HttpError(404, 'not_found', `no case ${caseId}`);
    return d;
  }

  /** The case, through CasesPort; 404 when there is none. */
  async caseSummary(caseId: number): Promise<CaseSummary> {
    const c = await this.deps.cases().get(caseId);
    if (!c) throw new HttpError(404, 'not_found', `no case ${caseId}`);
    return c;
  }
}
