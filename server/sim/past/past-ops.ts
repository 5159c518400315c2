/**
 * The district's past cases and alarms (issue 7 part 3), written as live operations write
 * them: cases through the cases service and repository (GB/T 30428 steps, every one in the
 * case's timeline with its actor), their 7123 clocks through the SLA service (warnings,
 * breaches and 吹哨 recorded at the time they fell due), alarms as alarm rows with raised,
 * acknowledged and cleared times (acknowledgements audited as the console's are), and the
 * 未诉先办 alarm types opening their cases. Every one of these services runs on a clock this
 * generator moves through the past, on a bus of its own, so no live listener hears the past.
 *
 * Who reports what, where and when is the live simulator's own model (CaseReporters: the
 * nine sources, the places, the hour curve); what happens next follows the live crews' and
 * the simulated duty officer's timings, with a tail of slow cases (waiting for parts, another
 * department) so that some 7123 deadlines are missed, as in any real month.
 */
import type { AlarmSettings } from '../../../shared/alarms.ts';
import type { CaseDetail, CaseDifficulty } from '../../../shared/cases.ts';
import type { DistrictPack } from '../../../shared/district.ts';
import type { AnyEntity } from '../../../shared/entities.ts';
import type { LonLat } from '../../../shared/geojson.ts';
import { distanceM } from '../../../shared/geo.ts';
import { localDate } from '../../../shared/local-time.ts';
import { CasesRepo } from '../../cases/cases-repo.ts';
import { CasesService } from '../../cases/cases-service.ts';
import { DistrictLocator } from '../../district/locator.ts';
import { DomainEvents } from '../../ops/domain-events.ts';
import { SIM_DUTY_OFFICER, SYSTEM_ACTOR, type Actor, type CasesPort } from '../../ops/ports.ts';
import { SlaService } from '../../sla/sla-service.ts';
import type { SlaSettingsRepo } from '../../sla/settings-repo.ts';
import { EMPTY_CALENDAR } from '../../sla/work-time.ts';
import type { SqlDialect, SqlExecutor, SqlParam, SqlRow, SqlStore, SqlTx } from '../../store/sql/types.ts';
import { HOUR_MS, inWindow, localMinuteOfDay, MINUTE_MS, parseWindow, SimClock } from '../clock.ts';
import type { SimContext } from '../context.ts';
import { CREW_CONFIG, DONE_NOTES } from '../crews.ts';
import { DUTY_CONFIG } from '../duty-officer.ts';
import { CaseReporters, type RoadChiefOnPatrol } from '../reporters.ts';
import { Rng } from '../rng.ts';
import { SimWorld } from '../world.ts';
import { Agenda } from './agenda.ts';
import { PastAlarms } from './past-alarms.ts';

export interface PastOpsDeps {
  /** The dialect of the store whose transactions the past is written in. */
  dialect: SqlDialect;
  pack: DistrictPack;
  seed: number;
  reportsPerDay: number;
  codePrefix: string;
  slaSettings: SlaSettingsRepo;
  alarmSettings: AlarmSettings;
  entities: readonly AnyEntity[];
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; debug(obj: object, msg: string): void };
}

export interface PastOpsResult {
  cases: number;
  alarms: number;
  /** Workflow steps taken (report included). */
  steps: number;
  /** Steps the services refused (logged; the case stays where it was). */
  refused: number;
  byDay: Record<string, { cases: number; alarms: number }>;
}

/** How long the desk and the crews take, beyond the live crews' own timings (CREW_CONFIG). */
export const PAST_DESK = {
  /** 上报 → 立案, minutes (log-normal median, spread); at night the desk is thinner. */
  registerMin: { day: [6, 0.8], night: [25, 0.7] },
  /** 立案 → 派遣, minutes; emergencies go at once. */
  dispatchMin: { day: [8, 0.8], night: [20, 0.7], emergency: [1, 0.5] },
  /** Road detours over the straight line, and how fast a crew goes (km/h, by mode). */
  roadFactor: 1.35,
  /** Share of cases that wait for parts, another department or the weather, and for how long (hours, log-normal). */
  slowShare: { small: 0.06, big: 0.08, hard: 0.12 } satisfies Record<CaseDifficulty, number>,
  slowHours: { small: [14, 0.7], big: [30, 0.6], hard: [50, 0.5] } satisfies Record<CaseDifficulty, [number, number]>,
  /** 反馈 → 核查, and 核查 → 结案, minutes. */
  verifyMin: [12, 0.8] as [number, number],
  closeMin: [6, 0.7] as [number, number],
  /** Citizens (随手拍, 12345) who rate the result, and when (hours after closing). */
  rateShare: 0.25,
  rateHours: [3, 1] as [number, number],
  rateScores: [2, 3, 4, 4, 5, 5, 5] as const,
};

const CITIZEN_SOURCES = new Set(['citizenPhoto', 'hotline']);


/**
 * Writes the cases and alarms of [fromMs, toMs) in the caller's transaction `tx` and returns
 * what it wrote. Cases still open at `toMs` stay open at the stage they reached, their clocks
 * running: the live SLA service takes them over (`recover`).
 */
export async function generatePastOps(d: PastOpsDeps, fromMs: number, toMs: number, tx: SqlTx): Promise<PastOpsResult> {
  const ops = pastOps(d, fromMs, toMs);
  await ops.advance(toMs, tx);
  return ops.finish(tx);
}

/** The same, a stretch at a time: `advance(until, tx)` writes what happens before `until`; `finish(tx)` hands the open cases over. */
export interface PastOps {
  advance(untilMs: number, tx: SqlTx): Promise<void>;
  finish(tx: SqlTx): Promise<PastOpsResult>;
  readonly result: PastOpsResult;
}

/**
 * The caller's transaction as the store of the past's cases service, SLA clocks, alarms and
 * audit rows: their own transactions are parts of it (the past is written an hour per
 * transaction, not a step).
 */
class CallersTransaction implements SqlStore {
  readonly dialect;
  tx: SqlTx | null = null;
  constructor(dialect: SqlStore['dialect']) { this.dialect = dialect; }
  private get on(): SqlExecutor {
    if (!this.tx) throw new Error('the past generator wrote outside its caller\'s transaction');
    return this.tx;
  }
  query<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]> { return this.on.query<T>(sql, params); }
  one<T extends SqlRow = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined> { return this.on.one<T>(sql, params); }
  exec(sql: string, params?: readonly SqlParam[]) { return this.on.exec(sql, params); }
  transaction<T>(work: (tx: SqlTx) => Promise<T>): Promise<T> { return work(this.on); }
  async close(): Promise<void> {}
}

export function pastOps(d: PastOpsDeps, fromMs: number, toMs: number): PastOps {
  const tz = d.pack.meta.timezone;
  if (!tz) throw new Error('the past needs the district time zone (pack meta.timezone)');
  const rng = new Rng(d.seed, 18);
  const result: PastOpsResult = { cases: 0, alarms: 0, steps: 0, refused: 0, byDay: {} };
  const dayOf = (ms: number) => {
    const day = localDate(ms, tz);
    return (result.byDay[day] ??= { cases: 0, alarms: 0 });
  };
  let now = fromMs;
  const store = new CallersTransaction(d.dialect);
  const events = new DomainEvents();
  events.onError = (err, event) => d.log.error({ err, event }, 'past generator: a listener failed');
  const locator = new DistrictLocator(d.pack);
  const cases: CasesService = new PastCases(new CasesRepo(store), {
    store, pack: d.pack, locator, events, now: () => now, sla: () => sla, codePrefix: d.codePrefix,
  });
  const sla: SlaService = new SlaService({
    store, cases: () => cases, events, settings: { get: () => d.slaSettings.get(store) }, now: () => now,
    deadline: { timeZone: tz, calendar: d.pack.calendar ?? EMPTY_CALENDAR }, log: d.log,
    // No timers: the generator moves the clock, and every step first records what fell due before it.
    timers: { set: () => null, clear: () => {} },
  });
  const agenda = new Agenda();
  const at = (ms: number, run: () => void | Promise<void>) => { if (ms < toMs) agenda.push(ms, run); };
  const act = async (when: number, what: string, caseId: number, fn: () => Promise<unknown>): Promise<boolean> => {
    now = when;
    try {
      await fn();
      result.steps++;
      return true;
    } catch (err) {
      result.refused++;
      d.log.debug({ err, caseId, what }, 'past generator: a step was refused');
      return false;
    }
  };
  const minutes = ([median, sigma]: readonly [number, number] | readonly number[]) => rng.logNormal(median!, sigma!) * MINUTE_MS;
  const night = (ms: number) => { const m = localMinuteOfDay(ms); return m < 7 * 60 || m >= 22 * 60; };

  // Units by street, for dispatch: staff and vehicles, with the mode a crew travels in.
  const world = new SimWorld(d.pack);
  const units = new Map<string, { id: string; name: string; mode: 'eBike' | 'eTrike' | 'vehicle'; work: string }[]>();
  const roleOf = new Map(d.pack.staff.map((s) => [s.id, s.role]));
  for (const e of d.entities) {
    if (e.kind !== 'staff' && e.kind !== 'vehicle') continue;
    const role = roleOf.get(e.id);
    const unit = e.kind === 'vehicle'
      ? { id: e.id, name: e.name, mode: 'vehicle' as const, work: 'collection' }
      : { id: e.id, name: e.name, mode: role === 'cleaner' ? 'eTrike' as const : 'eBike' as const, work: role === 'enforcer' ? 'enforcement' : role === 'cleaner' ? 'cleaning' : 'patrol' };
    const list = units.get(e.orgCode) ?? [];
    list.push(unit);
    units.set(e.orgCode, list);
  }
  const allUnits = [...units.values()].flat();
  const roadNodes = world.router;

  /** The rest of a case's life after it was reported (or opened registered by an alarm). */
  const follow = (c: CaseDetail) => {
    const id = c.id;
    const emergency = c.emergency;
    const difficulty = c.difficulty;
    let regAt = c.createdTs;
    if (c.stage === 'reported') {
      regAt = Math.round(c.createdTs + minutes(night(c.createdTs) ? PAST_DESK.registerMin.night : PAST_DESK.registerMin.day));
      at(regAt, async () => { if (await act(regAt, 'register', id, () => cases.transition(id, 'register', SIM_DUTY_OFFICER, { note: '值班自动立案' }))) dispatchAfter(regAt); });
    } else dispatchAfter(regAt);

    function dispatchAfter(from: number): void {
      const t = Math.round(from + minutes(emergency ? PAST_DESK.dispatchMin.emergency : night(from) ? PAST_DESK.dispatchMin.night : PAST_DESK.dispatchMin.day));
      at(t, async () => {
        const pool = units.get(c.location.streetCode) ?? allUnits;
        // The nearest of a few candidates, as the recommendation ranks them; its origin a road point near the case.
        const candidates = Array.from({ length: emergency ? 8 : 3 }, () => rng.pick(pool));
        const unit = candidates[0]!;
        const target: LonLat = [c.location.lon, c.location.lat];
        const near = roadNodes.nodesWithin(target[0], target[1], emergency ? 1200 : 2500);
        let origin: LonLat = near.length > 0 ? roadNodes.nodeLonLat(rng.pick(near)) : target;
        if (emergency && near.length > 1) {
          for (let k = 1; k < candidates.length; k++) {
            const o = roadNodes.nodeLonLat(rng.pick(near));
            if (distanceM(o[0], o[1], target[0], target[1]) < distanceM(origin[0], origin[1], target[0], target[1])) origin = o;
          }
        }
        const dist = distanceM(origin[0], origin[1], target[0], target[1]) * PAST_DESK.roadFactor;
        const [lo, hi] = CREW_CONFIG.speedKph[unit.mode];
        const kph = rng.range(lo, hi);
        const travelMs = (dist / 1000 / kph) * HOUR_MS;
        const eta = Math.round(travelMs / 1000);
        const assignment = { unitId: unit.id, unitName: unit.name, dispatchedTs: t, etaTs: t + Math.round(travelMs), route: [origin, target], arrivedTs: null, by: SIM_DUTY_OFFICER.name };
        if (!await act(t, 'dispatch', id, () => cases.dispatch(id, assignment, SIM_DUTY_OFFICER, { note: `按推荐首选派遣 ${unit.name}（道路ETA ${Math.floor(eta / 60)}分${eta % 60}秒）` }))) return;
        crew(t, unit, origin, travelMs, false);
      });
    }

    function crew(from: number, unit: { id: string; work: string }, origin: LonLat, travelMs: number, rework: boolean): void {
      const crewActor: Actor = { name: unit.id, role: 'sim' };
      const tAccept = Math.round(from + rng.range(CREW_CONFIG.acceptDelayMs[0], CREW_CONFIG.acceptDelayMs[1]));
      const tGo = Math.round(tAccept + rng.range(CREW_CONFIG.enRouteDelayMs[0], CREW_CONFIG.enRouteDelayMs[1]));
      const tArrive = Math.round(tGo + travelMs * rng.range(0.85, 1.3));
      const [wlo, whi] = CREW_CONFIG.workMin[difficulty];
      const slow = !rework && rng.chance(PAST_DESK.slowShare[difficulty]);
      const tDone = Math.round(tArrive + rng.range(wlo, whi) * MINUTE_MS + (slow ? rng.logNormal(...PAST_DESK.slowHours[difficulty]) * HOUR_MS : 0));
      at(tAccept, async () => {
        if (!await act(tAccept, 'accept', id, () => cases.unitStep(id, 'accept', crewActor, { unitId: unit.id }))) return;
        at(tGo, async () => {
          if (!await act(tGo, 'enRoute', id, () => cases.unitStep(id, 'enRoute', crewActor, { unitId: unit.id }))) return;
          at(tArrive, async () => {
            const ok = await act(tArrive, 'arrive', id, () => cases.unitStep(id, 'arrive', SYSTEM_ACTOR, {
              unitId: unit.id, lon: c.location.lon, lat: c.location.lat, distanceM: rng.int(40), fixTs: tArrive, at: tArrive,
            }));
            if (!ok) return;
            at(tDone, async () => {
              const note = rng.pick(DONE_NOTES[unit.work] ?? ['已处置完毕']);
              if (!await act(tDone, 'feedback', id, () => cases.feedback(id, crewActor, { note, unitId: unit.id }))) return;
              verify(tDone, unit, origin, rework);
            });
          });
        });
      });
    }

    function verify(from: number, unit: { id: string; work: string }, origin: LonLat, reworked: boolean): void {
      const t = Math.round(from + minutes(PAST_DESK.verifyMin));
      at(t, async () => {
        // 返工: the duty officer's share of failed checks, once per case.
        if (!reworked && rng.chance(DUTY_CONFIG.verifyFailShare)) {
          if (await act(t, 'verifyFail', id, () => cases.transition(id, 'verifyFail', SIM_DUTY_OFFICER, { note: '核查未通过：现场仍有问题，需返工' }))) {
            crew(t, unit, origin, 10 * MINUTE_MS, true);
          }
          return;
        }
        if (!await act(t, 'verifyPass', id, () => cases.transition(id, 'verifyPass', SIM_DUTY_OFFICER, { note: '核查通过' }))) return;
        const tClose = Math.round(t + minutes(PAST_DESK.closeMin));
        at(tClose, async () => {
          if (!await act(tClose, 'close', id, () => cases.transition(id, 'close', SIM_DUTY_OFFICER, { note: '处置完毕，予以结案' }))) return;
          if (CITIZEN_SOURCES.has(c.source) && rng.chance(PAST_DESK.rateShare)) {
            const tRate = Math.round(tClose + rng.logNormal(...PAST_DESK.rateHours) * HOUR_MS);
            at(tRate, async () => { await act(tRate, 'rate', id, () => cases.rate(id, rng.pick(PAST_DESK.rateScores), null, { name: 'citizen', role: 'citizen' })); });
          }
        });
      });
    }
  };

  const filed = new Set<number>();
  const onFiled = (detail: CaseDetail) => {
    // An alarm's case the service already had (it answers the open one) is followed once.
    if (filed.has(detail.id)) return;
    filed.add(detail.id);
    result.cases++;
    result.steps++;
    dayOf(detail.createdTs).cases++;
    follow(detail);
  };

  // The live reporters, filing through a port whose report() stamps the minute's own second and follows the case.
  const minuteStart = { ms: fromMs };
  const port = Object.create(cases) as CasesPort;
  port.report = async (input, actor) => {
    now = Math.min(minuteStart.ms + rng.int(60) * 1000, toMs - 1);
    const detail = await cases.report(input, actor);
    onFiled(detail);
    return detail;
  };
  const chiefs = d.pack.staff.filter((s) => s.role === 'roadChief').map((s) => ({ id: s.id, roadId: s.roadId, shift: parseWindow(s.shift) }));
  const nodesByRoad = new Map<string, number[]>();
  d.pack.roadGraph.edges.forEach((e) => { const l = nodesByRoad.get(e[3]) ?? []; l.push(e[0]); nodesByRoad.set(e[3], l); });
  const roadChiefs = (): RoadChiefOnPatrol[] => {
    const minute = localMinuteOfDay(minuteStart.ms);
    const out: RoadChiefOnPatrol[] = [];
    for (const c of chiefs) {
      if (!inWindow(minute, c.shift)) continue;
      const nodes = c.roadId === undefined ? undefined : nodesByRoad.get(c.roadId);
      if (!nodes || nodes.length === 0) continue;
      const [lon, lat] = world.router.nodeLonLat(rng.pick(nodes));
      out.push({ id: c.id, lon, lat, ...(c.roadId === undefined ? {} : { roadId: c.roadId }) });
    }
    return out;
  };
  const reporters = new CaseReporters(world, d.reportsPerDay, new Rng(d.seed, 17), { cases: () => port, dispatch: () => undefined }, roadChiefs, d.log);
  const clock = new SimClock(fromMs, 1);
  const ctx = { clock, ts: fromMs } as unknown as SimContext;

  // Alarms, planned up front and raised in time order with the cases' steps; the 未诉先办 types open their cases.
  const pastAlarms = new PastAlarms({ store, rng, settings: d.alarmSettings, entities: d.entities, locator, router: world.router, toMs });
  pastAlarms.schedule(fromMs, toMs, (start, type) => at(start, async () => {
    now = start;
    const alarm = await pastAlarms.raise(type, start);
    if (!alarm) return;
    result.alarms++;
    dayOf(start).alarms++;
    if (!d.alarmSettings.autoCase.includes(type)) return;
    let opened: CaseDetail | null = null;
    await act(start, 'openForAlarm', 0, async () => { opened = await cases.openForAlarm({ ...alarm, active: true, endTs: null }); });
    const c = opened as CaseDetail | null;
    if (!c) return;
    await pastAlarms.linkCase(alarm, c.id);
    onFiled(c);
  }));

  // One minute at a time: the steps that fall due first (in time order), then the minute's new reports.
  let m = fromMs;
  const advance = async (untilMs: number, tx: SqlTx) => {
    store.tx = tx;
    try {
      for (; m < Math.min(untilMs, toMs); m += MINUTE_MS) {
        while (agenda.size > 0 && agenda.peek() < m) await agenda.pop().run();
        minuteStart.ms = m;
        ctx.ts = m;
        clock.advance(Math.min(MINUTE_MS, toMs - m));
        await reporters.step(ctx, Math.min(MINUTE_MS, toMs - m));
      }
    } finally {
      store.tx = null;
    }
  };
  const finish = async (tx: SqlTx) => {
    await advance(toMs, tx);
    store.tx = tx;
    try {
      while (agenda.size > 0 && agenda.peek() < toMs) await agenda.pop().run();
      // A crew on its way when the past ends has no live counterpart: the desk takes the unit off
      // (back to registered) so the live duty officer and dispatch pick the case up again.
      const handover = toMs - 1000;
      for (const c of await cases.openCases()) {
        if ((c.stage === 'dispatched' || c.stage === 'handling') && !c.suspended) {
          await act(handover, 'release', c.id, () => cases.release(c.id, SIM_DUTY_OFFICER, { note: '交接班：原派遣单元收回，待重新派遣' }));
        }
      }
      await sla.close();
    } finally {
      store.tx = null;
    }
    result.refused += reporters.stats.refused + reporters.stats.errors;
    return result;
  };
  return { advance, finish, result };
}

/**
 * The cases service as it is, except that the detail it answers after each step is the case
 * row alone: nobody reads the timeline, photos and clocks of a step the past takes, and
 * reading them back after each of a hundred thousand steps was most of the generator's time.
 */
class PastCases extends CasesService {
  constructor(private readonly rows: CasesRepo, deps: ConstructorParameters<typeof CasesService>[0]) {
    super(deps);
  }

  override async detail(caseId: number): Promise<CaseDetail | undefined> {
    const r = await this.rows.get(caseId);
    if (!r) return undefined;
    const { description, reworkCount: _r, lon, lat, streetCode, communityCode, gridId, address, ...rest } = r;
    return {
      ...rest, location: { lon, lat, streetCode, communityCode, gridId, address }, clocks: [], description,
      photos: [], timeline: [], requests: [], evaluation: null, citizenRating: null,
    };
  }
}
