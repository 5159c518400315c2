/**
 * The simulated duty officer (SIM_DUTY_OFFICER=auto): keeps an unattended wall showing whole
 * case cycles. Every few seconds it registers reported cases, dispatches registered ones to
 * the top recommended unit, verifies fed-back ones (now and then failing one for rework),
 * closes verified ones and evaluates some closed ones — always as SIM_DUTY_OFFICER, so every
 * timeline names it.
 *
 * It never overrides a person: it acts only on a case whose last action (SLA entries by the
 * system aside) is older than the delay and was not taken by a person at a desk (dispatcher,
 * leader, admin), never on a suspended case or one with a request awaiting approval, and a
 * 409 from racing a person leaves the case to the person. Nothing it meets escapes its timer.
 */
import type { CaseDetail, CaseSummary } from '../../shared/cases.ts';
import { SIM_DUTY_OFFICER, type CasesPort } from '../ops/ports.ts';
import { isConflict, type SimLogger, type SimPorts } from './ports.ts';
import type { Rng } from './rng.ts';

/** Roles of the people at the console; a case whose last action is theirs is theirs. */
export const HUMAN_ROLES: readonly string[] = ['dispatcher', 'leader', 'admin'];

export const DUTY_CONFIG = {
  intervalMs: 5_000,
  /** At most this many actions a round, so a backlog after a restart is worked off gradually. */
  maxActionsPerRound: 20,
  verifyFailShare: 0.05,
  evaluateShare: 0.3,
  scores: [3, 4, 4, 5, 5, 5] as const,
  /** After no unit could be recommended, or an unexpected refusal, wait this long before trying that case again. */
  retryMs: 60_000,
  /** Closed cases are considered for evaluation while they are this recent (beyond the delay). */
  evaluationWindowMs: 10 * 60_000,
};

export interface DutyOfficerOptions {
  ports: SimPorts;
  now: () => number;
  /** How long a case must sit untouched before the officer acts, wall ms (SIM_DUTY_DELAY_S). */
  delayMs: number;
  rng: Rng;
  log: SimLogger;
}

export interface DutyOfficerStats {
  registered: number;
  dispatched: number;
  verified: number;
  reworked: number;
  closed: number;
  evaluated: number;
  /** Races lost to a person (409), left to them. */
  conflicts: number;
  errors: number;
}

/** What the officer needs to know of a case's history, cached per case version. */
interface LastAction {
  version: number;
  ts: number;
  human: boolean;
  pendingRequest: boolean;
}

const ACTED_STAGES = new Set(['reported', 'registered', 'fedBack', 'verified']);

export class SimDutyOfficer {
  readonly stats: DutyOfficerStats = { registered: 0, dispatched: 0, verified: 0, reworked: 0, closed: 0, evaluated: 0, conflicts: 0, errors: 0 };
  private readonly last = new Map<number, LastAction>();
  private readonly retryAt = new Map<number, number>();
  /** Closed cases already decided on (evaluated or let be), while they are in the window. */
  private readonly evaluationDecided = new Set<number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  /** The round in progress: a slow store must not start the next one on top of it. */
  private running: Promise<void> | null = null;

  constructor(private readonly opts: DutyOfficerOptions) {}

  start(intervalMs = DUTY_CONFIG.intervalMs): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.round().finally(() => { this.running = null; });
    }, intervalMs);
    this.timer.unref?.();
  }

  /** Stops the rounds; settles when the one in progress has. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round of the desk. Never rejects. */
  async round(): Promise<void> {
    try {
      const cases = this.opts.ports.cases();
      if (!cases) return;
      const now = this.opts.now();
      const due = now - this.opts.delayMs;
      const open = (await cases.openCases()).filter((c) => ACTED_STAGES.has(c.stage) && !c.suspended && c.createdTs <= due);
      // Emergencies first, then the oldest.
      open.sort((a, b) => Number(b.emergency) - Number(a.emergency) || a.createdTs - b.createdTs);
      const closed = (await cases.changedSince(due - DUTY_CONFIG.evaluationWindowMs)).filter((c) => c.stage === 'closed');
      let budget = DUTY_CONFIG.maxActionsPerRound;
      for (const c of [...open, ...closed]) {
        if (budget <= 0) break;
        if (await this.actOn(cases, c, now)) budget--;
      }
      this.forgetOthers(open, closed);
    } catch (err) {
      this.stats.errors++;
      this.opts.log.warn({ err }, 'simulated duty officer round failed');
    }
  }

  /** Acts on one case if it is the officer's to act on; true when it did. */
  private async actOn(cases: CasesPort, c: CaseSummary, now: number): Promise<boolean> {
    if ((this.retryAt.get(c.id) ?? 0) > now) return false;
    if (c.stage === 'closed' && this.evaluationDecided.has(c.id)) return false;
    const last = await this.lastAction(cases, c);
    if (!last || last.human || last.pendingRequest || now - last.ts < this.opts.delayMs) return false;
    const opts = { version: last.version };
    try {
      switch (c.stage) {
        case 'reported':
          await cases.transition(c.id, 'register', SIM_DUTY_OFFICER, { ...opts, note: '值班自动立案' });
          this.stats.registered++;
          return true;
        case 'registered':
          return await this.dispatchTop(c, last.version, now);
        case 'fedBack': {
          const rework = this.opts.rng.chance(DUTY_CONFIG.verifyFailShare);
          if (rework) await cases.transition(c.id, 'verifyFail', SIM_DUTY_OFFICER, { ...opts, note: '核查未通过：现场仍有问题，需返工' });
          else await cases.transition(c.id, 'verifyPass', SIM_DUTY_OFFICER, { ...opts, note: '核查通过' });
          if (rework) this.stats.reworked++;
          else this.stats.verified++;
          return true;
        }
        case 'verified':
          await cases.transition(c.id, 'close', SIM_DUTY_OFFICER, { ...opts, note: '处置完毕，予以结案' });
          this.stats.closed++;
          return true;
        case 'closed': {
          this.evaluationDecided.add(c.id);
          if (!this.opts.rng.chance(DUTY_CONFIG.evaluateShare)) return false;
          await cases.transition(c.id, 'evaluate', SIM_DUTY_OFFICER, { ...opts, score: this.opts.rng.pick(DUTY_CONFIG.scores) });
          this.stats.evaluated++;
          return true;
        }
        default:
          return false;
      }
    } catch (err) {
      if (isConflict(err)) {
        // Someone got there first (a person at the console, or the crew): the case is theirs now.
        this.stats.conflicts++;
        this.opts.log.debug({ err, caseId: c.id, stage: c.stage }, 'simulated duty officer lost a race; case left alone');
      } else {
        this.stats.errors++;
        this.retryAt.set(c.id, now + DUTY_CONFIG.retryMs);
        this.opts.log.warn({ err, caseId: c.id, stage: c.stage }, 'simulated duty officer action refused');
      }
      return false;
    }
  }

  /** 派遣 to the first recommendation; a case nobody can take waits and is tried again later. */
  private async dispatchTop(c: CaseSummary, version: number, now: number): Promise<boolean> {
    const dispatch = this.opts.ports.dispatch();
    if (!dispatch) return false;
    const [top] = await dispatch.recommend(c.id, 1);
    if (!top) {
      this.retryAt.set(c.id, now + DUTY_CONFIG.retryMs);
      return false;
    }
    const eta = `${Math.floor(top.etaS / 60)}分${Math.round(top.etaS % 60)}秒`;
    await dispatch.dispatchCase(c.id, top.entityId, SIM_DUTY_OFFICER, { version, note: `按推荐首选派遣 ${top.name}（道路ETA ${eta}）` });
    this.stats.dispatched++;
    return true;
  }

  /** The case's last action (system SLA entries aside), re-read only when its version changed. */
  private async lastAction(cases: CasesPort, c: CaseSummary): Promise<LastAction | null> {
    const cached = this.last.get(c.id);
    if (cached && cached.version === c.version) return cached;
    const d: CaseDetail | undefined = await cases.detail(c.id);
    if (!d) return null;
    let entry = null;
    for (let i = d.timeline.length - 1; i >= 0 && !entry; i--) if (d.timeline[i]!.actorRole !== 'system') entry = d.timeline[i]!;
    const last: LastAction = {
      version: d.version,
      ts: entry?.ts ?? d.createdTs,
      human: entry !== null && HUMAN_ROLES.includes(entry.actorRole),
      pendingRequest: d.requests.some((r) => r.state === 'pending'),
    };
    this.last.set(c.id, last);
    return last;
  }

  /** Keeps the caches to the cases still in view, so they do not grow over weeks. */
  private forgetOthers(open: readonly CaseSummary[], closed: readonly CaseSummary[]): void {
    const inView = new Set<number>();
    for (const c of open) inView.add(c.id);
    for (const c of closed) inView.add(c.id);
    for (const id of this.last.keys()) if (!inView.has(id)) this.last.delete(id);
    for (const id of this.retryAt.keys()) if (!inView.has(id)) this.retryAt.delete(id);
    for (const id of this.evaluationDecided) if (!inView.has(id)) this.evaluationDecided.delete(id);
  }
}
