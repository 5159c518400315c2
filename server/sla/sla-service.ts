/**
 * The SLA clocks of 7123 (SlaPort). Clocks start, end, pause and stretch on the cases'
 * workflow steps ('case:transition'); warnings, breaches and escalations (吹哨) fall due in
 * time, driven by one scheduler timer armed for the earliest next event of all open clocks.
 *
 * The store is the truth: every change is written (with its timeline entry, in one
 * transaction) before the in-memory mirror of open clocks is touched, and after a restart
 * `recover` re-reads the open clocks and records everything that fell due meanwhile, once,
 * at the time it was due.
 *
 * The store is asynchronous, so the service runs one job at a time (a workflow step, a timer,
 * a recovery), in arrival order: the mirror is never read half-written. A job's own writes may
 * announce steps (an escalation is a case step): those reach the service inside the job and run
 * at once, as part of it, never queued behind it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CaseSummary } from '../../shared/cases.ts';
import type { SlaClock, SlaKind } from '../../shared/sla.ts';
import type { DomainEvents, CaseTransition } from '../ops/domain-events.ts';
import { SYSTEM_ACTOR, type CasesPort, type SlaPort } from '../ops/ports.ts';
import { inUnitOfWork, type UnitOfWork } from '../store/sql/unit-of-work.ts';
import type { SqlExecutor, SqlStore } from '../store/sql/types.ts';
import { departmentToNotify, streetToNotify } from './escalation-targets.ts';
import { ClocksRepo, publicClock, type StoredClock } from './clocks-repo.ts';
import { nextEvent, paused, resumed, stateAt, type ClockEvent } from './clock-steps.ts';
import { extendBy, planArrival, planClosure, type DeadlineContext } from './policy.ts';
import type { SlaSettingsRepo } from './settings-repo.ts';

export interface Timers {
  /** `fn` settles when the step it runs is done; it never rejects. */
  set(fn: () => Promise<void>, ms: number): unknown;
  clear(handle: unknown): void;
}

const nodeTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(() => { void fn(); }, ms);
    t.unref();
    return t;
  },
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SlaServiceOptions {
  store: SqlStore;
  /** Obtained lazily: the cases module may be registered after this one. */
  cases: () => CasesPort;
  events: DomainEvents;
  /** The settings clocks start under (the past generator reads them in its caller's transaction). */
  settings: Pick<SlaSettingsRepo, 'get'>;
  now: () => number;
  deadline: DeadlineContext;
  log: { error(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Where a failed timer step is counted and logged (app.timerFailures: /api/ingest/stats); else it is logged. */
  failures?: { record(name: string, err: unknown): void };
  timers?: Timers;
}

/** setTimeout takes at most 2^31−1 ms; a far event re-arms on the way. */
const MAX_DELAY_MS = 6 * 3_600_000;
/** After a failed step (e.g. the store was busy) the scheduler tries again this much later, not in a hot loop. */
const RETRY_MS = 30_000;

const LABEL: Record<SlaKind, { zh: string; en: string }> = {
  arrival: { zh: '到场时限', en: 'arrival deadline' },
  closure: { zh: '结案时限', en: 'closure deadline' },
};

export class SlaService implements SlaPort {
  private readonly repo: ClocksRepo;
  private readonly timers: Timers;
  /** Open clocks by id, mirroring the store (written first), so arming the timer needs no query. */
  private readonly openClocks = new Map<number, StoredClock>();
  private timer: unknown = null;
  private failing = false;
  private closed = false;
  private advancing = false;
  private readonly unsubscribe: () => void;
  /** The jobs, one after another; settles when the last queued one has. */
  private queue: Promise<void> = Promise.resolve();
  /** Set inside a job: what the job's own writes announce runs in it. */
  private readonly inJob = new AsyncLocalStorage<true>();

  /** Call `load()` before the first step: the mirror of open clocks starts empty. */
  constructor(private readonly o: SlaServiceOptions) {
    this.repo = new ClocksRepo(o.store);
    this.timers = o.timers ?? nodeTimers;
    this.unsubscribe = o.events.on('case:transition', (t) => this.onTransition(t));
  }

  /** Reads the open clocks into the mirror (at start; `recover` does it again and catches up). */
  load(): Promise<void> {
    return this.job(() => this.reload());
  }

  async clocksFor(caseId: number): Promise<SlaClock[]> {
    return (await this.repo.byCase(caseId)).map(publicClock);
  }

  async clocksForMany(caseIds: readonly number[], sql?: SqlExecutor): Promise<Map<number, SlaClock[]>> {
    const out = new Map<number, SlaClock[]>(caseIds.map((id) => [id, []]));
    for (const c of await (sql ? new ClocksRepo(sql) : this.repo).byCases(caseIds)) out.get(c.caseId)?.push(publicClock(c));
    return out;
  }

  recover(now: number): Promise<void> {
    return this.job(async () => {
      await this.guarded(async () => {
        await this.reload();
        await this.reconcile();
        await this.advance(now);
      }, 'SLA recovery failed');
      this.arm();
    });
  }

  /** Stops listening and clears the timer (app close); settles once the running job has (so nothing writes to a closed store). */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    await this.queue;
  }

  /** Runs `fn` after the jobs queued before it; at once when called from inside a job (its own announcements). Never rejects. */
  private job(fn: () => Promise<void>): Promise<void> {
    if (this.inJob.getStore()) return fn();
    const run = this.queue.then(() => (this.closed ? undefined : this.inJob.run(true, fn))).catch((err: unknown) => {
      this.o.log.error({ err }, 'SLA step failed');
    });
    this.queue = run;
    return run;
  }

  private async reload(): Promise<void> {
    const open = await this.repo.open();
    this.openClocks.clear();
    for (const c of open) this.openClocks.set(c.id, c);
  }

  private onTransition(t: CaseTransition): Promise<void> | undefined {
    if (this.closed) return undefined;
    return this.job(async () => {
      await this.guarded(async () => {
        // Whatever fell due before this step happened first (a late timer must not turn a breach into a pause).
        // Not when the step was announced from inside a clock step (an escalation): the outer loop goes on.
        if (!this.advancing) await this.advance(t.at);
        if (await this.applyTransition(t)) this.o.events.emit('case:changed', t.caseId);
      }, `SLA clocks of case ${t.caseId} not updated for ${t.action}`);
      this.arm();
    });
  }

  private async applyTransition(t: CaseTransition): Promise<boolean> {
    const { caseId, at } = t;
    const kind = t.data?.kind;
    if (t.to === 'voided' || (t.action === 'approve' && kind === 'void')) return this.cancel(caseId, null, at);
    switch (t.action) {
      case 'report':
        return t.to === 'registered' && this.startClosure(caseId, at);
      case 'register':
        return this.startClosure(caseId, at);
      case 'dispatch': {
        // A case dispatched straight from 上报 is registered by that act: its closure clock starts too.
        const closure = t.from === 'reported' && await this.startClosure(caseId, at);
        return (await this.startArrival(caseId, at)) || closure;
      }
      case 'arrive':
        return this.end(caseId, 'arrival', at);
      case 'close': {
        const closure = await this.end(caseId, 'closure', at);
        return (await this.cancel(caseId, 'arrival', at)) || closure;
      }
      case 'approve':
        if (kind === 'suspension') return this.each(caseId, (c) => (c.state === 'paused' ? null : paused(c, at)));
        if (kind === 'extension') return this.extend(caseId, t.data?.days, at);
        return false;
      case 'resume':
        return this.each(caseId, (c) => (c.state === 'paused' ? resumed(c, at) : null));
      default:
        return false;
    }
  }

  private async startClosure(caseId: number, at: number): Promise<boolean> {
    if (await this.repo.find(caseId, 'closure')) return false;
    const c = await this.caseOf(caseId);
    if (!c) return false;
    return this.insert(caseId, planClosure(at, c.difficulty, await this.o.settings.get(), this.o.deadline));
  }

  /** One arrival clock per case: a reassign or a second dispatch never restarts it — the citizen has waited since the first. */
  private async startArrival(caseId: number, at: number): Promise<boolean> {
    if (await this.repo.find(caseId, 'arrival')) return false;
    const c = await this.caseOf(caseId);
    if (!c?.emergency) return false;
    return this.insert(caseId, planArrival(at, await this.o.settings.get()));
  }

  private async insert(caseId: number, plan: Parameters<ClocksRepo['insert']>[1]): Promise<boolean> {
    const c = await this.repo.insert(caseId, plan, this.o.now());
    this.openClocks.set(c.id, c);
    return true;
  }

  /** Ends the open clock of a kind at its end event: met if on time, else breached (the breach itself was recorded when it fell due). */
  private async end(caseId: number, kind: SlaKind, at: number): Promise<boolean> {
    const open = this.openOf(caseId).find((c) => c.kind === kind);
    if (!open) return false;
    const c = open.state === 'paused' ? resumed(open, at) : open;
    const met = at <= c.dueTs;
    await this.write({ ...c, state: met ? 'met' : 'breached', endTs: at }, async (u) => {
      if (met) await this.o.cases().appendSystem(caseId, 'clockMet', `${LABEL[kind].zh}内完成 · ${LABEL[kind].en} met`, { clockId: c.id, kind, dueTs: c.dueTs }, at, u);
    });
    return true;
  }

  /** Stops open clocks without their end event (void, or closed before arrival): endTs set, state kept, marked cancelled. */
  private cancel(caseId: number, kind: SlaKind | null, at: number): Promise<boolean> {
    return this.each(caseId, (c) => (kind === null || c.kind === kind ? { ...c, endTs: at, cancelled: true } : null));
  }

  private async extend(caseId: number, days: unknown, at: number): Promise<boolean> {
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1) {
      this.o.log.warn({ caseId, days }, 'approved extension without a whole number of days; SLA clock unchanged');
      return false;
    }
    return this.each(caseId, (c) => {
      if (c.kind !== 'closure') return null;
      const moved = { ...c, ...extendBy(c, days, c.policy, this.o.deadline) };
      return c.state === 'paused' ? moved : { ...moved, state: stateAt(moved, at) };
    });
  }

  /** Applies a change to each open clock of a case (null: leave it). */
  private async each(caseId: number, change: (c: StoredClock) => StoredClock | null): Promise<boolean> {
    let any = false;
    for (const c of this.openOf(caseId)) {
      const next = change(c);
      if (next) {
        await this.write(next);
        any = true;
      }
    }
    return any;
  }

  /** Records every event that fell due up to `until`, earliest first, each at the time it was due. */
  private async advance(until: number): Promise<void> {
    this.advancing = true;
    try {
      await this.advanceLoop(until);
    } finally {
      this.advancing = false;
    }
  }

  private async advanceLoop(until: number): Promise<void> {
    for (;;) {
      let first: { c: StoredClock; e: ClockEvent } | null = null;
      for (const c of this.openClocks.values()) {
        const e = nextEvent(c);
        if (e && e.at <= until && (!first || e.at < first.e.at)) first = { c, e };
      }
      if (!first) return;
      await this.apply(first.c, first.e);
      this.o.events.emit('case:changed', first.c.caseId);
    }
  }

  private async apply(c: StoredClock, e: ClockEvent): Promise<void> {
    const cases = this.o.cases();
    const label = LABEL[c.kind];
    const data = { clockId: c.id, kind: c.kind, dueTs: c.dueTs };
    if (e.type === 'warn') {
      await this.write({ ...c, state: 'warned' }, (u) => cases.appendSystem(c.caseId, 'clockWarning', `${label.zh}将到 · ${label.en} approaching`, { ...data, warnTs: c.warnTs }, e.at, u));
    } else if (e.type === 'breach') {
      // A clock that breaches again after an extension does not notify the street twice.
      const street = c.escalationLevel < 1 ? await streetToNotify(cases, c.caseId) : null;
      await this.write({ ...c, state: 'breached', escalationLevel: Math.max(c.escalationLevel, 1) }, async (u) => {
        await cases.appendSystem(c.caseId, 'clockBreach', `${label.zh}已超时 · ${label.en} breached`, data, e.at, u);
        if (street !== null) await cases.escalate(c.caseId, 1, street, e.at, SYSTEM_ACTOR, u);
      });
    } else {
      const department = await departmentToNotify(cases, c.caseId);
      await this.write({ ...c, escalationLevel: 2 }, (u) => cases.escalate(c.caseId, 2, department, e.at, SYSTEM_ACTOR, u));
    }
  }

  /** The clock row and its timeline entries commit together, so a restart never records a step twice or loses one. */
  private async write(c: StoredClock, record?: (uow: UnitOfWork) => Promise<void>): Promise<void> {
    const saved = await inUnitOfWork(this.o.store, async (u) => {
      const s = await new ClocksRepo(u.tx).update(c, this.o.now());
      await record?.(u);
      return s;
    });
    if (saved.endTs === null) this.openClocks.set(saved.id, saved);
    else this.openClocks.delete(saved.id);
  }

  /** After a restart: clocks whose case ended while the server was down (arrived, closed, voided) end at that time, in order. */
  private async reconcile(): Promise<void> {
    const ends: { caseId: number; at: number; run: () => Promise<boolean> }[] = [];
    for (const c of [...this.openClocks.values()]) {
      const k = await this.o.cases().get(c.caseId);
      if (!k) continue;
      const arrivedTs = k.assignment?.arrivedTs ?? null;
      if (k.stage === 'voided') ends.push({ caseId: c.caseId, at: k.updatedTs, run: () => this.cancel(c.caseId, c.kind, k.updatedTs) });
      else if (c.kind === 'arrival' && arrivedTs !== null) ends.push({ caseId: c.caseId, at: arrivedTs, run: () => this.end(c.caseId, 'arrival', arrivedTs) });
      else if (k.closedTs !== null) {
        const at = k.closedTs;
        ends.push({ caseId: c.caseId, at, run: () => (c.kind === 'closure' ? this.end(c.caseId, 'closure', at) : this.cancel(c.caseId, 'arrival', at)) });
      }
    }
    for (const x of ends.sort((a, b) => a.at - b.at)) {
      await this.advance(x.at);
      await x.run();
      this.o.events.emit('case:changed', x.caseId);
    }
  }

  private arm(): void {
    if (this.closed) return;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
    let next = Infinity;
    for (const c of this.openClocks.values()) next = Math.min(next, nextEvent(c)?.at ?? Infinity);
    if (next === Infinity) return;
    const delay = Math.max(next - this.o.now(), this.failing ? RETRY_MS : 0, 0);
    this.timer = this.timers.set(() => this.fire(), Math.min(delay, MAX_DELAY_MS));
  }

  /** The timer callback: never rejects. */
  private fire(): Promise<void> {
    this.timer = null;
    return this.job(async () => {
      await this.guarded(() => this.advance(this.o.now()), 'SLA scheduler step failed', 'SLA scheduler');
      try {
        this.arm();
      } catch (err) {
        this.o.log.error({ err }, 'SLA scheduler could not re-arm');
      }
    });
  }

  private async guarded(fn: () => Promise<void>, msg: string, timer?: string): Promise<void> {
    try {
      await fn();
      this.failing = false;
    } catch (err) {
      this.failing = true;
      if (timer !== undefined && this.o.failures) this.o.failures.record(timer, err);
      else this.o.log.error({ err }, msg);
    }
  }

  private openOf(caseId: number): StoredClock[] {
    return [...this.openClocks.values()].filter((c) => c.caseId === caseId);
  }

  private async caseOf(caseId: number): Promise<CaseSummary | undefined> {
    const c = await this.o.cases().get(caseId);
    if (!c) this.o.log.warn({ caseId }, 'SLA: no such case');
    return c;
  }
}
