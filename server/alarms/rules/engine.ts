/**
 * The rule engine: runs the rules of an entity's kind on each accepted change from the
 * ingest (never on the server's own derived values), the offline rule on connectivity
 * transitions, and a sweep for what time alone makes true (a truck off route long enough,
 * a cleaning now overdue, banned hours starting while a vehicle keeps working, a clear hold
 * that has passed). The sweep re-judges an entity only when its last judgement is sweepMs
 * old: one that reports every few seconds is judged on each report anyway, so the sweep's
 * work is the silent ones, not the whole district twice a minute. Everything is in memory;
 * only a change of alarm state reaches the store (AlarmBook).
 *
 * The per-entity state the engine keeps is in typed arrays by entity index: a report's
 * evaluation then touches a few bytes of it rather than objects spread over the heap, which
 * in tests/bench/dispatch.bench.ts was most of what the rules cost.
 */
import { ALARM_TYPES, type AlarmSettings, type AlarmType } from '../../../shared/alarms.ts';
import { MUCK_VIOLATIONS, type EntityKind, type MuckViolation } from '../../../shared/entities.ts';
import type { LiveChange } from '../../live/change-stream.ts';
import type { LateReport, LiveEntity, LiveState } from '../../live/live-state.ts';
import type { AlarmBook } from '../alarm-book.ts';
import type { LocalClock } from '../local-time.ts';
import { grown, type KindRules, type RuleContext } from './types.ts';

/** The muck-truck attribute `violations` mirrors these active alarms, so the wall's display keeps working. */
const VIOLATION_OF: Partial<Record<AlarmType, MuckViolation>> = {
  muckOffRoute: 'offRoute', muckLidOpen: 'lidOpen', muckOutsideHours: 'outsideHours', muckSpeeding: 'speeding', muckRestrictedZone: 'restrictedZone',
};

/** One bit per alarm type, for the per-entity set of active types. */
const BIT = Object.fromEntries(ALARM_TYPES.map((t, i) => [t, 2 ** i])) as Record<AlarmType, number>;
if (ALARM_TYPES.length > 32) throw new Error('the active-type bit sets hold 32 alarm types');

export interface RuleEngineOptions {
  live: LiveState;
  book: AlarmBook;
  rules: readonly KindRules[];
  settings: () => AlarmSettings;
  clock: LocalClock;
  now: () => number;
  /** The longest an entity with time-based rules goes unjudged, on the injected clock, ms. */
  sweepMs?: number;
  onError?: (err: unknown, where: string) => void;
}

export class RuleEngine {
  private readonly byKind = new Map<EntityKind, KindRules>();
  private readonly ctx: RuleContext & { settings: AlarmSettings; now: number; localMinute: number };
  private unsubscribe: (() => void) | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly sweepMs: number;
  /** Whether an entity (by index) is of a kind whose verdicts time alone can change. */
  private timeBased: Uint8Array;
  /** When each entity (by index) was last judged, on the injected clock; 0 never (it has not reported). */
  private judgedAt: Float64Array;
  /**
   * The types of alarm active for each entity (by index), one bit per type, mirroring the
   * book. A rule releases every condition that does not hold, on every report; with this a
   * release of an alarm that is not active (nearly all of them) does not look in the book.
   */
  private activeTypes: Uint32Array;
  private unsubscribeCatalog: (() => void) | undefined;
  private unsubscribeLate: (() => void) | undefined;
  /** Evaluations run (reports, connectivity changes and sweeps), for health and the bench. */
  evaluations = 0;

  constructor(private readonly opts: RuleEngineOptions) {
    for (const r of opts.rules) this.byKind.set(r.kind, r);
    this.sweepMs = opts.sweepMs ?? 30_000;
    const all = opts.live.all();
    this.timeBased = Uint8Array.from(all, (e) => (this.byKind.get(e.kind)?.timeBased ? 1 : 0));
    this.judgedAt = new Float64Array(all.length);
    const book = opts.book;
    const bits = (entityId: string) => book.activeTypesOf(entityId).reduce((m, t) => m | BIT[t], 0) >>> 0;
    this.activeTypes = Uint32Array.from(all, (e) => bits(e.id));
    this.ctx = {
      settings: opts.settings(), now: 0, localMinute: 0,
      raise: (e, type, cond) => book.assert(e, type, cond, this.ctx.now),
      release: (e, type) => { if (this.activeTypes[e.index]! & BIT[type]) book.release(e.id, type, this.ctx.now); },
      supersede: (e, type) => { if (this.activeTypes[e.index]! & BIT[type]) book.clearAsSuperseded(e.id, type, this.ctx.now); },
      isActive: (e, type) => (this.activeTypes[e.index]! & BIT[type]) !== 0,
    };
    book.onActiveSetChanged = (entityId, at) => {
      const e = opts.live.get(entityId);
      if (e) this.activeTypes[e.index] = bits(entityId);
      this.deriveViolations(entityId, at);
    };
  }

  /** Subscribes to the change stream and mirrors the alarms already active (after a restart) onto the trucks. */
  start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.opts.live.changes.subscribe('alarm-rules', (c) => this.onChange(c));
    this.unsubscribeCatalog = this.opts.live.onCatalog('alarm-rules', (a) => this.onEntityAdded(a.entity));
    this.unsubscribeLate = this.opts.live.onLate('alarm-rules', (late) => this.onLate(late));
    const now = this.opts.now();
    for (const e of this.opts.live.all()) if (e.kind === 'muckTruck') this.deriveViolations(e.id, now);
  }

  /** Ticks every tickMs on a timer it owns: the sweep, clear holds and batched writes each tick. */
  startTimer(tickMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.tick(this.opts.now());
      } catch (err) {
        this.opts.onError?.(err, 'alarm tick');
      }
    }, tickMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeCatalog?.();
    this.unsubscribeCatalog = undefined;
    this.unsubscribeLate?.();
    this.unsubscribeLate = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** An entity added at run time: per-index state grows to hold it, here and in the kinds' rules. */
  onEntityAdded(e: LiveEntity): void {
    const n = e.index + 1;
    this.timeBased = grown(this.timeBased, n);
    this.judgedAt = grown(this.judgedAt, n);
    this.activeTypes = grown(this.activeTypes, n);
    this.timeBased[e.index] = this.byKind.get(e.kind)?.timeBased ? 1 : 0;
    for (const r of this.byKind.values()) r.resize?.(n);
  }

  /**
   * A report older than what the live state holds (a blind-area batch) changes nothing live,
   * but an SOS in it happened: it is raised all the same (and released by the next evaluation
   * of the current state, after the clear hold), so the duty officer sees it and its case.
   */
  onLate(late: LateReport): void {
    const e = late.entity;
    const sos = late.attrs?.sos === true || (e.kind === 'staff' && late.status === 'sos');
    if (!sos) return;
    const type = e.kind === 'staff' ? 'staffSos' : e.kind === 'vehicle' || e.kind === 'muckTruck' ? 'driverSos' : null;
    if (type === null) return;
    this.ctx.settings = this.opts.settings();
    this.ctx.now = late.at;
    this.ctx.raise(e, type, { detail: `SOS at ${new Date(late.ts).toISOString()} (reported late)`, value: null });
  }

  onChange(c: LiveChange): void {
    if (c.type === 'derived') return;
    this.evaluate(c.entity, c.at);
  }

  tick(now: number): void {
    this.sweep(now);
    this.opts.book.tick(now);
  }

  /**
   * Re-evaluates every entity of a kind with time-based rules that has reported since the
   * start and was last judged sweepMs ago or more (bins are judged on their reports alone;
   * offline comes from connectivity changes).
   */
  sweep(now: number): void {
    const all = this.opts.live.all();
    const { timeBased, judgedAt } = this;
    const cutoff = now - this.sweepMs;
    // Two typed arrays read in order: the scan costs microseconds, so it runs every tick.
    for (let i = 0; i < judgedAt.length; i++) {
      if (!timeBased[i] || judgedAt[i] === 0 || judgedAt[i]! > cutoff) continue;
      const e = all[i]!;
      try {
        this.evaluate(e, now);
      } catch (err) {
        this.opts.onError?.(err, `alarm sweep ${e.id}`);
      }
    }
  }

  evaluate(e: LiveEntity, now: number): void {
    this.evaluations++;
    // Nothing known about an entity that never reported: nothing for the sweep to judge.
    if (e.lastSeen > 0) this.judgedAt[e.index] = now;
    const ctx = this.ctx;
    ctx.settings = this.opts.settings();
    ctx.now = now;
    ctx.localMinute = this.opts.clock.minuteOfDay(now);
    if (e.connectivity === 'offline' && e.lastSeen > 0 && ctx.settings.offlineAlarmKinds.includes(e.kind)) {
      ctx.raise(e, 'deviceOffline', { detail: `no report since ${new Date(e.lastSeen).toISOString()}`, value: null });
    } else {
      ctx.release(e, 'deviceOffline');
    }
    this.byKind.get(e.kind)?.evaluate(e, ctx);
  }

  private deriveViolations(entityId: string, at: number): void {
    const e = this.opts.live.get(entityId);
    if (!e || e.kind !== 'muckTruck') return;
    const active = new Set(this.opts.book.activeTypesOf(entityId).map((t) => VIOLATION_OF[t]));
    const violations = MUCK_VIOLATIONS.filter((v) => active.has(v));
    this.opts.live.derive(entityId, { violations }, at);
  }
}
