/**
 * History on first start (issue 7 part 3): on an empty history, SIM_HISTORY_DAYS days of the
 * district's past life are generated — first, before the server listens, every case and
 * alarm of the whole window in one transaction (seconds: the heat charts and the briefing have
 * their month at once); then, in the background, the fleet's positions, readings and
 * connectivity, an hour of district time per chunk, each chunk committed with the progress
 * mark in one transaction and the event loop let go between steps, so the live server keeps
 * serving. Progress is in `GET /api/past` and the log.
 *
 * Idempotent: a finished generation is marked and never runs again; a crash mid-cases rolls
 * back whole (the next start does them again); a crash mid-positions resumes at the last
 * committed hour (the world is re-run from the window's start — it is deterministic — and
 * what was written is skipped).
 *
 * Everything runs on the asynchronous store layer (SQLite or PostgreSQL): its own SQL (the
 * progress mark, clearing an interrupted run's cases and alarms, the counts); the cases, clocks,
 * alarms and acknowledgement audit rows of each hour, written through the cases, SLA, alarm and
 * audit repositories in one layer transaction; the positions, committed with their mark in one
 * layer transaction (HistoryStore.appendPast in it).
 */
import type { SqlStore } from '../../store/sql/types.ts';
import type { HistoryStore } from '../../history/history-store.ts';
import { DAY_MS, HOUR_MS } from '../clock.ts';
import { pastOps, type PastOpsDeps, type PastOpsResult } from './past-ops.ts';
import { COARSE, FINE, PastFleet, type Resolution } from './past-tracks.ts';
import type { ConnectivityPolicy } from '../../live/live-state.ts';
import type { DistrictPack } from '../../../shared/district.ts';

const LOCAL_OFFSET_MS = 8 * HOUR_MS;

export interface PastWindow {
  days: number;
  /** Local midnight `days` days before the day of `toMs`. */
  fromMs: number;
  /** The first start: cases and alarms end here. */
  toMs: number;
  /** Positions end at the start of the history bucket holding `toMs` (the live history writes from there). */
  tracksToMs: number;
  /** From here on positions are at the live resolution (yesterday and today). */
  fineFromMs: number;
}

/** `fineDays`: the last days at the live resolution (2: yesterday and today; 0: none). */
export function pastWindow(days: number, nowMs: number, fineDays = 2, bucketS = 600): PastWindow {
  const midnight = Math.floor((nowMs + LOCAL_OFFSET_MS) / DAY_MS) * DAY_MS - LOCAL_OFFSET_MS;
  return {
    days,
    fromMs: midnight - days * DAY_MS,
    toMs: nowMs,
    tracksToMs: Math.floor(nowMs / 1000 / bucketS) * bucketS * 1000,
    fineFromMs: fineDays > 0 ? midnight - (fineDays - 1) * DAY_MS : nowMs,
  };
}

export type PastPhase = 'none' | 'cases' | 'positions' | 'done' | 'failed';

export interface PastProgress {
  phase: PastPhase;
  days: number;
  fromTs: number | null;
  toTs: number | null;
  cases: number;
  alarms: number;
  /** Share of the window whose cases and alarms are written, 0..1. */
  casesDone: number;
  /** Positions written up to here (ms), and the share of the window done, 0..1. */
  positionsUntil: number | null;
  positionsDone: number;
  /** Kept points written by this run. */
  points: number;
  startedTs: number | null;
  finishedTs: number | null;
  error?: string;
}

interface MarkRow { days: number; seed: number; from_ts: number; to_ts: number; ops_done: number; tracks_until: number; started_ts: number; finished_ts: number | null }

export interface BackfillDeps {
  /** The store layer: the mark, the clearing of an interrupted run, the positions, and the past's cases, clocks and alarms (an hour per transaction). */
  sql: SqlStore;
  pack: DistrictPack;
  history: HistoryStore;
  connectivity: ConnectivityPolicy;
  ops: Omit<PastOpsDeps, 'dialect' | 'pack' | 'seed'>;
  seed: number;
  days: number;
  now: () => number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Called once the cases and alarms are all written (the live SLA clocks take the open ones over). */
  onCasesDone?: () => void;
  /** Days at the live resolution at the end of the window (default 2: yesterday and today). */
  fineDays?: number;
  /** Lets the event loop go; default setImmediate. */
  yieldNow?: () => Promise<void>;
}

const SQL = {
  mark: 'SELECT days, seed, from_ts, to_ts, ops_done, tracks_until, started_ts, finished_ts FROM sim_past WHERE id = 1',
  insert: 'INSERT INTO sim_past (id, days, seed, from_ts, to_ts, ops_done, tracks_until, started_ts) VALUES (1, $1, $2, $3, $4, 0, $5, $6)',
  opsDone: 'UPDATE sim_past SET ops_done = 1 WHERE id = 1',
  tracks: 'UPDATE sim_past SET tracks_until = $1 WHERE id = 1',
  finish: 'UPDATE sim_past SET finished_ts = $1 WHERE id = 1',
  anyHistory: 'SELECT 1 AS found FROM history_track LIMIT 1',
  anyCase: 'SELECT 1 AS found FROM cases LIMIT 1',
  counts: 'SELECT (SELECT count(*) FROM cases WHERE created_ts < $1) AS cases, (SELECT count(*) FROM alarms WHERE start_ts < $1) AS alarms',
  /** What an interrupted cases phase left (everything before the first start is the past's), children first. */
  clear: [
    ...['case_timeline', 'case_photos', 'case_requests', 'case_evaluations', 'sla_clocks'].map((t) => `DELETE FROM ${t} WHERE case_id IN (SELECT id FROM cases WHERE created_ts < $1)`),
    'DELETE FROM cases WHERE created_ts < $1',
    'DELETE FROM alarms WHERE start_ts < $1',
    "DELETE FROM audit WHERE action = 'alarm.ack' AND actor = 'sim-duty-officer' AND ts < $1",
  ],
} as const;

/** World steps between two yields to the event loop (~10–30 ms of work). */
const STEPS_PER_YIELD = { fine: 12, coarse: 40 };

export class PastBackfill {
  readonly progress: PastProgress = {
    phase: 'none', days: 0, fromTs: null, toTs: null, cases: 0, alarms: 0, casesDone: 0, positionsUntil: null, positionsDone: 0, points: 0, startedTs: null, finishedTs: null,
  };
  private stopping = false;
  private running: Promise<void> | null = null;

  constructor(private readonly d: BackfillDeps) {}

  private mark(): Promise<MarkRow | undefined> {
    return this.d.sql.one<MarkRow & Record<string, unknown>>(SQL.mark);
  }

  /**
   * Decides and does the synchronous part: nothing when SIM_HISTORY_DAYS is 0, the past was
   * generated already, or the store has a life of its own (history or cases from earlier
   * runs); else the cases and alarms of the window. Returns whether positions are to follow.
   */
  async prepare(): Promise<boolean> {
    let mark = await this.mark();
    if (!mark) {
      if (this.d.days <= 0) return false;
      if ((await this.d.sql.one(SQL.anyHistory)) || (await this.d.sql.one(SQL.anyCase))) {
        this.d.log.info({ days: this.d.days }, 'simulated past: the store already has history or cases; nothing generated');
        return false;
      }
      const w = pastWindow(this.d.days, this.d.now());
      await this.d.sql.exec(SQL.insert, [this.d.days, this.d.seed, w.fromMs, w.toMs, w.fromMs, this.d.now()]);
      mark = (await this.mark())!;
    }
    Object.assign(this.progress, { days: mark.days, fromTs: mark.from_ts, toTs: mark.to_ts, startedTs: mark.started_ts, finishedTs: mark.finished_ts });
    if (mark.finished_ts !== null) {
      this.progress.phase = 'done';
      return false;
    }
    if (!mark.ops_done) {
      // In the background too, an hour of district time per transaction: the server listens at once.
      this.progress.phase = 'cases';
      return true;
    }
    const n = (await this.d.sql.one<{ cases: number; alarms: number }>(SQL.counts, [mark.to_ts]))!;
    this.progress.cases = n.cases;
    this.progress.alarms = n.alarms;
    this.progress.phase = 'positions';
    this.progress.positionsUntil = mark.tracks_until;
    return true;
  }

  /**
   * Cases and alarms of the whole window, an hour per transaction, yielding between hours.
   * Their in-flight steps live in memory, so an interrupted run is undone whole (everything
   * before the first start is the past's) and done again.
   */
  private async cases(mark: MarkRow, yieldNow: () => Promise<void>): Promise<boolean> {
    const t0 = performance.now();
    await this.d.sql.transaction(async (tx) => {
      for (const del of SQL.clear) await tx.exec(del, [mark.to_ts]);
    });
    const ops = pastOps({ ...this.d.ops, dialect: this.d.sql.dialect, pack: this.d.pack, seed: mark.seed }, mark.from_ts, mark.to_ts);
    for (let hour = mark.from_ts; hour < mark.to_ts; hour += HOUR_MS) {
      await this.d.sql.transaction((tx) => ops.advance(hour + HOUR_MS, tx));
      this.progress.cases = ops.result.cases;
      this.progress.alarms = ops.result.alarms;
      this.progress.casesDone = Math.round(((hour + HOUR_MS - mark.from_ts) / (mark.to_ts - mark.from_ts)) * 1000) / 1000;
      await yieldNow();
      if (this.stopping) return false;
    }
    let r: PastOpsResult | undefined;
    await this.d.sql.transaction(async (tx) => {
      r = await ops.finish(tx);
      // The mark commits with the last of the cases.
      await tx.exec(SQL.opsDone);
    });
    this.progress.casesDone = 1;
    this.progress.cases = r!.cases;
    this.progress.alarms = r!.alarms;
    this.d.log.info({ days: mark.days, cases: r!.cases, alarms: r!.alarms, steps: r!.steps, refused: r!.refused, s: Math.round(performance.now() - t0) / 1000 },
      `simulated past: ${r!.cases} cases and ${r!.alarms} alarms of ${mark.days} days written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    try {
      this.d.onCasesDone?.();
    } catch (err) {
      this.d.log.error({ err }, 'simulated past: handing the open cases over failed; their clocks catch up at the next start');
    }
    this.progress.phase = 'positions';
    this.progress.positionsUntil = mark.tracks_until;
    return true;
  }

  /** Starts the background work (after prepare() said so). */
  start(): void {
    if (this.running || (this.progress.phase !== 'positions' && this.progress.phase !== 'cases')) return;
    this.running = this.run().catch((err: unknown) => {
      this.progress.phase = 'failed';
      this.progress.error = (err as Error)?.message ?? String(err);
      this.d.log.error({ err }, 'simulated past: positions failed; the next start resumes them');
    });
  }

  /** Stops between two chunks (app close): what was committed stays, the next start resumes. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  /** Runs every chunk to the end in this call (tests, the bench). */
  async runToEnd(): Promise<void> {
    this.start();
    await this.running;
  }

  private async run(): Promise<void> {
    const mark = (await this.mark())!;
    const yieldNow = this.d.yieldNow ?? (() => new Promise<void>((r) => setImmediate(r)));
    if (!mark.ops_done && !(await this.cases(mark, yieldNow))) return;
    await this.positions(mark, yieldNow);
  }

  private async positions(mark: MarkRow, yieldNow: () => Promise<void>): Promise<void> {
    const w = pastWindow(mark.days, mark.to_ts, this.d.fineDays ?? 2);
    const fleet = new PastFleet(this.d.pack, mark.seed, w.fromMs, this.d.connectivity);
    const total = w.tracksToMs - w.fromMs;
    const done = mark.tracks_until;
    const t0 = performance.now();
    let loggedAt = 0;
    this.d.log.info({ from: new Date(w.fromMs).toISOString(), to: new Date(w.tracksToMs).toISOString(), resumeAt: done > w.fromMs ? new Date(done).toISOString() : null },
      'simulated past: positions in the background (see GET /api/past)');
    for (let chunk = w.fromMs; chunk < w.tracksToMs; chunk += HOUR_MS) {
      const end = Math.min(chunk + HOUR_MS, w.tracksToMs);
      const res: Resolution = chunk >= w.fineFromMs ? FINE : COARSE;
      let steps = 0;
      while (fleet.simMs + res.stepMs <= end) {
        fleet.step(res);
        if (++steps % (res === FINE ? STEPS_PER_YIELD.fine : STEPS_PER_YIELD.coarse) === 0) {
          await yieldNow();
          if (this.stopping) return;
        }
      }
      if (end <= done) { fleet.discard(); continue; } // written by an earlier run
      const entries = fleet.take();
      // Partitions (PostgreSQL) first: none can be made inside the transaction.
      await this.d.history.ensurePastPartitions(entries);
      const r = await this.d.sql.transaction(async (tx) => {
        const written = await this.d.history.appendPast(entries, res.policy, tx);
        await tx.exec(SQL.tracks, [end]);
        return written;
      });
      this.progress.points += r.points;
      this.progress.positionsUntil = end;
      this.progress.positionsDone = Math.round(((end - w.fromMs) / total) * 1000) / 1000;
      if (performance.now() - loggedAt > 10_000 || end === w.tracksToMs) {
        loggedAt = performance.now();
        this.d.log.info({ done: this.progress.positionsDone, until: new Date(end).toISOString(), points: this.progress.points, s: Math.round(performance.now() - t0) / 1000 },
          `simulated past: positions ${Math.round(this.progress.positionsDone * 100)} %`);
      }
      await yieldNow();
      if (this.stopping) return;
    }
    const fin = this.d.now();
    await this.d.sql.exec(SQL.finish, [fin]);
    this.progress.phase = 'done';
    this.progress.finishedTs = fin;
    this.d.log.info({ points: this.progress.points, s: Math.round(performance.now() - t0) / 1000 }, 'simulated past: done');
  }
}

