/**
 * Simulated crews answer dispatches the way a crew with the phone page would: a short while
 * after a unit of the simulator is dispatched it accepts, says it is on its way, drives the
 * road graph to the case, works there for a while and reports it done with a note — all
 * through the DispatchPort, the same service the crews' phone API calls. It never says it
 * arrived: the server detects arrival from the positions the unit keeps reporting through
 * the ingest. Released or reassigned meanwhile, it gives up and goes back to its routine.
 *
 * The fleets keep reporting their agents (cadence, outages, shifts stay theirs); while an
 * agent has a task, its position and speed come from the task's mover instead of its routine.
 */
import type { CaseDifficulty, CaseSummary } from '../../shared/cases.ts';
import type { UnitState } from '../../shared/dispatch.ts';
import type { LonLat } from '../../shared/geojson.ts';
import type { Actor } from '../ops/ports.ts';
import { MINUTE_MS } from './clock.ts';
import type { SimContext } from './context.ts';
import { roadRoute } from './crew-routes.ts';
import { kphToMPerMs, Mover, Route, type MoverFix } from './movers.ts';
import { logOccasionally, type SimPorts, type SimLogger } from './ports.ts';
import type { Rng } from './rng.ts';
import type { SimWorld } from './world.ts';

/** How a crew gets about: road chiefs and enforcers ride e-bikes, cleaners e-trikes, vehicles drive. */
export type CrewMode = 'eBike' | 'eTrike' | 'vehicle';

export const CREW_CONFIG = {
  speedKph: { eBike: [18, 25], eTrike: [8, 12], vehicle: [25, 35] } satisfies Record<CrewMode, [number, number]>,
  /** Sim time from dispatch to accepting it on the phone, and from accepting to setting off. */
  acceptDelayMs: [20_000, 90_000] as const,
  enRouteDelayMs: [10_000, 45_000] as const,
  /** Work on scene by the case's difficulty, sim minutes. */
  workMin: { small: [10, 20], big: [15, 30], hard: [25, 40] } satisfies Record<CaseDifficulty, [number, number]>,
  /** A refused step is retried this often (sim time), this many times, then the task is given up. */
  retryMs: 30_000,
  maxTries: 3,
};

/** Feedback notes by the kind of work: the first skill the case's item asks for, else the unit's own. */
export const DONE_NOTES: Record<string, readonly string[]> = {
  enforcement: ['已劝离，现场秩序恢复', '已责令整改，现场已规范', '已依法处置，现场恢复正常'],
  patrol: ['已现场核实并处置完毕', '已协调责任单位处置完毕'],
  cleaning: ['已清理完毕', '已清扫干净，现场恢复整洁', '垃圾已清运完毕'],
  roadCleaning: ['路面已冲洗清扫完毕', '已清理完毕'],
  collection: ['已清运完毕', '垃圾已清运，桶体已复位'],
  watering: ['已冲洗完毕', '已洒水降尘'],
};
const DEFAULT_NOTES = ['已处置完毕', '已清理完毕'];

type Phase = 'accept' | 'enRoute' | 'toScene' | 'working' | 'returning';

/** One unit's detour from its routine for one case. */
export class CrewTask {
  phase: Phase;
  /** Sim time when the pending phone step (accept, on my way, done) falls due. */
  dueSim: number;
  tries = 0;
  /** A phone step is on its way to the server: the task does not ask again until it is answered. */
  asking = false;
  readonly mover: Mover;

  constructor(
    readonly caseId: number, readonly target: LonLat, readonly kph: number, start: LonLat, phase: Phase, dueSim: number,
    readonly difficulty: CaseDifficulty,
    /** The work the case asks for (its item's first skill), for the feedback note. */
    readonly work: string | undefined = undefined,
  ) {
    this.phase = phase;
    this.dueSim = dueSim;
    this.mover = new Mover(new Route([start]));
  }

  get moving(): boolean {
    return (this.phase === 'toScene' || this.phase === 'returning') && !this.mover.done;
  }

  /** Reported speed, km/h: 0 while waiting or working. */
  speedKph(): number {
    return this.moving ? this.kph : 0;
  }

  locate(out: MoverFix): MoverFix {
    return this.mover.locate(out);
  }

  position(): LonLat {
    const f = this.mover.locate({ lon: 0, lat: 0, heading: 0 });
    return [f.lon, f.lat];
  }
}

/** A fleet's agent as the crews see it (implemented by StaffFleet and VehicleFleet). */
export interface CrewAgent {
  readonly entityId: string;
  readonly mode: CrewMode;
  /** The first skill of the unit, for the feedback note. */
  readonly trade: string;
  /** Where the agent's routine has it; the routine stands still while a task runs. */
  routinePosition(): LonLat;
  task: CrewTask | null;
  /** Report at the next chance (setting off, stopping on scene, back on the routine). */
  reportNow(): void;
}

/** What a fleet's agent holds for the crew desk: its routine's mover, its task, its report timer. */
export interface CrewHolder {
  mover: Mover;
  task: CrewTask | null;
  nextReportWall: number;
}

/** The crew desk's view of one fleet agent (staff member or vehicle). */
export function crewAgentOf(a: CrewHolder, entityId: string, mode: CrewMode, trade: string, fix: MoverFix): CrewAgent {
  return {
    entityId, mode, trade,
    routinePosition: () => {
      const f = a.mover.locate(fix);
      return [f.lon, f.lat];
    },
    get task() { return a.task; },
    set task(t) { a.task = t; },
    reportNow: () => { a.nextReportWall = 0; },
  };
}

export interface CrewRoster {
  crewAgent(entityId: string): CrewAgent | undefined;
}

export interface CrewStats {
  tasksStarted: number;
  tasksDone: number;
  tasksAbandoned: number;
  stepErrors: number;
}

export class CrewDesk {
  readonly stats: CrewStats = { tasksStarted: 0, tasksDone: 0, tasksAbandoned: 0, stepErrors: 0 };
  private readonly active = new Map<string, CrewAgent>();
  /**
   * Unit → case already done or given up, with the unit's `since` at that moment, so a unit
   * still listed on that case is not sent again — unless it was engaged on it anew (返工).
   */
  private readonly finished = new Map<string, { caseId: number; since: number }>();
  private readonly woken = new Set<string>();
  /** Units whose new task's case is being read (the store is asynchronous). */
  private readonly beginning = new Set<string>();

  constructor(private readonly world: SimWorld, private readonly rosters: readonly CrewRoster[], private readonly rng: Rng, private readonly ports: SimPorts, private readonly log: SimLogger) {}

  /** The dispatch module (or the lead's wiring) tells the simulator a unit was dispatched: handled on the next step. */
  unitDispatched(entityId: string): void {
    this.woken.add(entityId);
  }

  /** Agents on a task right now. */
  get busy(): number {
    return this.active.size;
  }

  /** Picks up new dispatches, drops withdrawn ones and moves every task on. Never throws. */
  step(ctx: SimContext, dtSim: number): void {
    try {
      this.followDispatches(ctx.clock.simMs);
    } catch (err) {
      logOccasionally(this.log, ++this.stats.stepErrors, { err }, 'simulated crews could not read the dispatches');
    }
    for (const agent of [...this.active.values()]) {
      try {
        this.advance(agent, ctx.clock.simMs, dtSim);
      } catch (err) {
        logOccasionally(this.log, ++this.stats.stepErrors, { err, unit: agent.entityId }, 'simulated crew step failed');
      }
    }
  }

  private followDispatches(simMs: number): void {
    const dispatch = this.ports.dispatch();
    const cases = this.ports.cases();
    if (dispatch && cases) {
      const engaged = this.engaged(dispatch);
      for (const u of engaged.values()) this.maybeBegin(u, cases, simMs);
      for (const [id, f] of this.finished) if (engaged.get(id)?.caseId !== f.caseId) this.finished.delete(id);
      for (const agent of this.active.values()) {
        const t = agent.task!;
        if (t.phase !== 'returning' && !this.stillOn(dispatch, engaged, agent.entityId, t.caseId)) this.abandon(agent, 'no longer dispatched to the case');
      }
    } else {
      // The dispatch module went away: nobody can take feedback, so every crew goes home.
      this.woken.clear();
      for (const agent of this.active.values()) if (agent.task!.phase !== 'returning') this.abandon(agent, 'dispatch unavailable');
    }
  }

  /** Units engaged on a case, by entity id: the poll plus the ones woken by a callback. */
  private engaged(dispatch: NonNullable<ReturnType<SimPorts['dispatch']>>): Map<string, UnitState> {
    const out = new Map<string, UnitState>();
    for (const u of dispatch.engaged()) if (u.caseId !== null) out.set(u.entityId, u);
    for (const id of this.woken) {
      const u = dispatch.unit(id);
      if (u && u.caseId !== null) out.set(id, u);
    }
    this.woken.clear();
    return out;
  }

  /** Whether the unit is still on this case (engaged() may list only the just-dispatched). */
  private stillOn(dispatch: NonNullable<ReturnType<SimPorts['dispatch']>>, engaged: Map<string, UnitState>, id: string, caseId: number): boolean {
    const listed = engaged.get(id);
    if (listed) return listed.caseId === caseId;
    return dispatch.unit(id)?.caseId === caseId;
  }

  private maybeBegin(u: UnitState, cases: NonNullable<ReturnType<SimPorts['cases']>>, simMs: number): void {
    const caseId = u.caseId!;
    const current = this.active.get(u.entityId)?.task;
    if (current && current.caseId === caseId && current.phase !== 'returning') return;
    const finished = this.finished.get(u.entityId);
    if (finished && finished.caseId === caseId && finished.since === u.since) return;
    if (!['dispatched', 'enRoute', 'onScene'].includes(u.status)) return;
    if (this.beginning.has(u.entityId)) return;
    const agent = this.agentOf(u.entityId);
    if (!agent) return;
    this.beginning.add(u.entityId);
    cases.get(caseId)
      .then((c) => { if (c) this.begin(u, agent, c, cases, simMs); })
      .catch((err: unknown) => logOccasionally(this.log, ++this.stats.stepErrors, { err, unit: u.entityId, caseId }, 'simulated crew could not read its case'))
      .finally(() => this.beginning.delete(u.entityId));
  }

  private begin(u: UnitState, agent: CrewAgent, c: CaseSummary, cases: NonNullable<ReturnType<SimPorts['cases']>>, simMs: number): void {
    const caseId = c.id;
    const start = agent.task ? agent.task.position() : agent.routinePosition();
    const [lo, hi] = CREW_CONFIG.speedKph[agent.mode];
    // A unit found already under way (e.g. after a restart of the simulator) just goes.
    const fresh = u.status === 'dispatched';
    const due = fresh ? simMs + this.rng.range(CREW_CONFIG.acceptDelayMs[0], CREW_CONFIG.acceptDelayMs[1]) : simMs;
    const work = cases.item(c.itemCode)?.skills[0];
    const task = new CrewTask(caseId, [c.location.lon, c.location.lat], this.rng.range(lo, hi), start, fresh ? 'accept' : 'toScene', due, c.difficulty, work);
    if (!fresh) task.mover.follow(roadRoute(this.world.router, start, task.target));
    agent.task = task;
    agent.reportNow();
    this.active.set(u.entityId, agent);
    this.stats.tasksStarted++;
  }

  private advance(agent: CrewAgent, simMs: number, dtSim: number): void {
    const t = agent.task!;
    const actor: Actor = { name: agent.entityId, role: 'sim' };
    switch (t.phase) {
      case 'accept':
        if (simMs >= t.dueSim) {
          this.phoneStep(agent, 'accept', actor, simMs, undefined, () => {
            t.phase = 'enRoute';
            t.dueSim = simMs + this.rng.range(CREW_CONFIG.enRouteDelayMs[0], CREW_CONFIG.enRouteDelayMs[1]);
          });
        }
        break;
      case 'enRoute':
        if (simMs >= t.dueSim) {
          this.phoneStep(agent, 'enRoute', actor, simMs, undefined, () => {
            t.phase = 'toScene';
            t.mover.follow(roadRoute(this.world.router, t.position(), t.target));
            agent.reportNow();
          });
        }
        break;
      case 'toScene':
        t.mover.advance(kphToMPerMs(t.kph) * dtSim);
        if (t.mover.done) {
          // Stopped on scene: report at once, so the server sees the unit arrive.
          const [lo, hi] = CREW_CONFIG.workMin[t.difficulty];
          t.phase = 'working';
          t.dueSim = simMs + this.rng.range(lo, hi) * MINUTE_MS;
          agent.reportNow();
        }
        break;
      case 'working':
        if (simMs >= t.dueSim) {
          const note = this.rng.pick((t.work !== undefined ? DONE_NOTES[t.work] : undefined) ?? DONE_NOTES[agent.trade] ?? DEFAULT_NOTES);
          this.phoneStep(agent, 'done', actor, simMs, note, () => {
            this.markFinished(agent.entityId, t.caseId);
            this.stats.tasksDone++;
            this.goBack(agent);
          });
        }
        break;
      case 'returning':
        t.mover.advance(kphToMPerMs(t.kph) * dtSim);
        if (t.mover.done) {
          agent.task = null;
          this.active.delete(agent.entityId);
          agent.reportNow();
        }
        break;
    }
  }

  /**
   * One call of the crews' phone API, answered later (the store is asynchronous): `done` runs when
   * it was taken; a refusal is retried or the task given up. A task given up or replaced meanwhile
   * ignores the answer.
   */
  private phoneStep(agent: CrewAgent, step: 'accept' | 'enRoute' | 'done', actor: Actor, simMs: number, note: string | undefined, done: () => void): void {
    const t = agent.task!;
    if (t.asking) return;
    const dispatch = this.ports.dispatch();
    if (!dispatch) return;
    t.asking = true;
    const current = () => agent.task === t && t.phase !== 'returning';
    dispatch.crewStep(agent.entityId, step, actor, note === undefined ? {} : { note }).then(() => {
      t.asking = false;
      if (!current()) return;
      t.tries = 0;
      done();
    }, (err: unknown) => {
      t.asking = false;
      if (!current()) return;
      this.refused(dispatch, agent, t, step, simMs, err);
    }).catch((err: unknown) => logOccasionally(this.log, ++this.stats.stepErrors, { err, unit: agent.entityId }, 'simulated crew step failed'));
  }

  private refused(dispatch: NonNullable<ReturnType<SimPorts['dispatch']>>, agent: CrewAgent, t: CrewTask, step: 'accept' | 'enRoute' | 'done', simMs: number, err: unknown): void {
    this.stats.stepErrors++;
    if (dispatch.unit(agent.entityId)?.caseId !== t.caseId) {
      this.abandon(agent, `${step} refused and the unit is off the case`);
    } else if (++t.tries >= CREW_CONFIG.maxTries) {
      this.log.warn({ err, unit: agent.entityId, caseId: t.caseId, step }, 'simulated crew gave up a case after repeated refusals');
      this.markFinished(agent.entityId, t.caseId);
      this.abandon(agent, `${step} refused ${t.tries} times`);
    } else {
      this.log.debug({ err, unit: agent.entityId, caseId: t.caseId, step }, 'simulated crew step refused; retrying');
      t.dueSim = simMs + CREW_CONFIG.retryMs;
    }
  }

  private markFinished(entityId: string, caseId: number): void {
    this.finished.set(entityId, { caseId, since: this.ports.dispatch()?.unit(entityId)?.since ?? 0 });
  }

  private abandon(agent: CrewAgent, why: string): void {
    this.log.debug({ unit: agent.entityId, caseId: agent.task?.caseId, why }, 'simulated crew abandons its task');
    this.stats.tasksAbandoned++;
    this.goBack(agent);
  }

  /** Back along the roads to where the routine was left off. */
  private goBack(agent: CrewAgent): void {
    const t = agent.task!;
    t.phase = 'returning';
    t.mover.follow(roadRoute(this.world.router, t.position(), agent.routinePosition()));
    agent.reportNow();
  }

  private agentOf(entityId: string): CrewAgent | undefined {
    const known = this.active.get(entityId);
    if (known) return known;
    for (const r of this.rosters) {
      const a = r.crewAgent(entityId);
      if (a) return a;
    }
    return undefined;
  }
}
