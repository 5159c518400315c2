/**
 * The briefing's figures, computed from plain facts of cases and alarms (read by
 * facts-repo.ts), so that the arithmetic is tested on hand-made case sets. Definitions in
 * definitions.ts; a rate whose denominator is 0 is null, never 0 % or NaN.
 */
import type { CaseDifficulty } from '../../shared/cases.ts';
import type { BriefingResponse, RankingRow } from '../../shared/schemas/briefing.ts';
import { localMidnight } from '../sla/work-time.ts';
import { indicatorDefinitions, type IndicatorKey } from './definitions.ts';
import { addDays, type PeriodWindow, type ResolvedPeriod } from './period.ts';

const HOUR_MS = 3_600_000;

/** What the indicators need of one case. */
export interface CaseFact {
  id: number;
  streetCode: string;
  /** The department responsible (the taxonomy item's), or null. */
  deptCode: string | null;
  difficulty: CaseDifficulty;
  createdTs: number;
  /** 立案: when the closure clock started; null while only reported. */
  registeredTs: number | null;
  /** The closure deadline (moved by pauses and extensions); null with no closure clock. */
  dueTs: number | null;
  /** The closure clock was cancelled (voided case). */
  closureCancelled: boolean;
  closedTs: number | null;
  /** First dispatch (派遣), or null. */
  dispatchedTs: number | null;
  /** Times sent back at verification (返工). */
  reworkCount: number;
  /** The 7-minute clock of an emergency, from its dispatch. */
  arrival: { startTs: number; dueTs: number; endTs: number | null; cancelled: boolean } | null;
}

export interface AlarmFact { type: string; entityKind: string; entityId: string; startTs: number }

export interface BriefingInput {
  district: string;
  timeZone: string;
  now: number;
  period: ResolvedPeriod;
  cases: readonly CaseFact[];
  /** The muck trucks' alarms (and any others: those not of a muck truck are left out of the by-company table). */
  muckAlarms: readonly AlarmFact[];
  /** Alarms of every kind raised in [from, to): counted by the store, not listed (a month is ~10⁵ of them). */
  countAlarms: (from: number, to: number) => number;
  streets: readonly { code: string; name: string }[];
  departments: readonly { code: string; name: string }[];
  muckTrucks: readonly { id: string; company: string }[];
  /** 按时派遣: dispatched within this long of registration. */
  dispatchTargetMs: number;
}

const inWindow = (ts: number | null, from: number, to: number): ts is number => ts !== null && ts >= from && ts < to;

/** n / d, or null when nothing counts (d = 0). */
export function rate(n: number, d: number): number | null {
  return d === 0 ? null : n / d;
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/** Cases due in the window: the closure deadline in [from, min(to, now)), not voided. */
export function dueIn(cases: readonly CaseFact[], w: PeriodWindow, now: number): CaseFact[] {
  const end = Math.min(w.to, now);
  return cases.filter((c) => !c.closureCancelled && inWindow(c.dueTs, w.from, end));
}

interface Tally { registered: number; due: number; closed: number; closedOnTime: number; dispatched: number; dispatchedOnTime: number; reworked: number }

function tally(cases: readonly CaseFact[], w: PeriodWindow, now: number, dispatchTargetMs: number): Tally {
  const due = dueIn(cases, w, now);
  const dispatched = due.filter((c) => c.dispatchedTs !== null);
  return {
    registered: cases.filter((c) => inWindow(c.registeredTs, w.from, w.to)).length,
    due: due.length,
    closed: due.filter((c) => c.closedTs !== null).length,
    closedOnTime: due.filter((c) => c.closedTs !== null && c.closedTs <= c.dueTs!).length,
    dispatched: dispatched.length,
    dispatchedOnTime: dispatched.filter((c) => c.registeredTs !== null && c.dispatchedTs! - c.registeredTs <= dispatchTargetMs).length,
    reworked: dispatched.filter((c) => c.reworkCount > 0).length,
  };
}

function rankingRow(code: string, name: string, t: Tally): RankingRow {
  return {
    code, name, ...t,
    closureRate: rate(t.closed, t.due),
    onTimeClosureRate: rate(t.closedOnTime, t.due),
    onTimeDispatchRate: rate(t.dispatchedOnTime, t.due),
    reworkRate: rate(t.reworked, t.dispatched),
  };
}

/** 7-minute arrival: clocks started in the window, decided (ended, or past due now), not cancelled. */
export function arrivalCompliance(cases: readonly CaseFact[], w: PeriodWindow, now: number): { met: number; total: number; rate: number | null } {
  let met = 0;
  let total = 0;
  for (const c of cases) {
    const a = c.arrival;
    if (!a || a.cancelled || !inWindow(a.startTs, w.from, w.to)) continue;
    if (a.endTs !== null) {
      total++;
      if (a.endTs <= a.dueTs) met++;
    } else if (a.dueTs <= now) total++;
  }
  return { met, total, rate: rate(met, total) };
}

function kpis(input: BriefingInput, w: PeriodWindow): Record<IndicatorKey, number | null> {
  const { cases, now } = input;
  const t = tally(cases, w, now, input.dispatchTargetMs);
  const due = dueIn(cases, w, now);
  const arrivals = cases.flatMap((c) => (c.arrival && !c.arrival.cancelled && c.arrival.endTs !== null && inWindow(c.arrival.startTs, w.from, w.to) ? [(c.arrival.endTs - c.arrival.startTs) / 60_000] : []));
  const closings = cases.flatMap((c) => (inWindow(c.closedTs, w.from, w.to) && c.registeredTs !== null ? [(c.closedTs - c.registeredTs) / HOUR_MS] : []));
  const row = rankingRow('', '', t);
  return {
    reported: cases.filter((c) => inWindow(c.createdTs, w.from, w.to)).length,
    registered: t.registered,
    closed: cases.filter((c) => inWindow(c.closedTs, w.from, w.to)).length,
    overdue: due.filter((c) => c.closedTs === null || c.closedTs > c.dueTs!).length,
    alarms: input.countAlarms(w.from, w.to),
    arrivalCompliance: arrivalCompliance(cases, w, now).rate,
    avgArriveMin: mean(arrivals),
    avgCloseH: mean(closings),
    due: t.due,
    closureRate: row.closureRate,
    onTimeClosureRate: row.onTimeClosureRate,
    onTimeDispatchRate: row.onTimeDispatchRate,
    reworkRate: row.reworkRate,
  };
}

/** The trend's buckets over the current period: hours of a one-day period, local days otherwise. */
function trendBuckets(period: ResolvedPeriod, tz: string): { hourly: boolean; labels: string[]; starts: number[]; ends: number[] } {
  const w = period.current;
  const hourly = w.fromDate === w.toDate;
  const labels: string[] = [];
  /** Start instant of each bucket, ascending: an event goes to the last start at or before it. */
  const starts: number[] = [];
  if (hourly) {
    for (let h = 0; h < 24; h++) {
      labels.push(`${String(h).padStart(2, '0')}:00`);
      starts.push(w.from + h * HOUR_MS);
    }
  } else {
    for (let d = w.fromDate; d <= w.toDate; d = addDays(d, 1)) {
      labels.push(d.slice(5));
      starts.push(localMidnight(d, tz));
    }
  }
  return { hourly, labels, starts, ends: [...starts.slice(1), w.to] };
}

/**
 * Every [from, to) whose alarms computeBriefing counts: the current and previous periods and
 * the trend's buckets. An asynchronous store counts them all before the (synchronous)
 * computation, which then reads the counts from a map.
 */
export function alarmWindows(period: ResolvedPeriod, tz: string): [number, number][] {
  const w = period.current;
  const { starts, ends } = trendBuckets(period, tz);
  const trendWindows = starts.flatMap((from, i): [number, number][] => (from < w.to ? [[from, Math.min(ends[i]!, w.to)]] : []));
  return [[w.from, w.to], [period.previous.from, period.previous.to], ...trendWindows];
}

/** Buckets of the current period: hours of a one-day period, local days otherwise. */
function trend(input: BriefingInput): BriefingResponse['trend'] {
  const w = input.period.current;
  const { hourly, labels, starts, ends } = trendBuckets(input.period, input.timeZone);
  const bucket = (ts: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= ts) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const series = (times: (number | null)[]): number[] => {
    const out = labels.map(() => 0);
    for (const ts of times) if (inWindow(ts, w.from, w.to)) out[bucket(ts)]! += 1;
    return out;
  };
  return {
    bucket: hourly ? 'hour' : 'day',
    labels,
    reported: series(input.cases.map((c) => c.createdTs)),
    closed: series(input.cases.map((c) => c.closedTs)),
    alarms: starts.map((from, i) => (from < w.to ? input.countAlarms(from, Math.min(ends[i]!, w.to)) : 0)),
  };
}

const MUCK_TYPES: Record<string, string> = {
  muckOffRoute: 'offRoute', muckLidOpen: 'lidOpen', muckOutsideHours: 'outsideHours', muckSpeeding: 'speeding', muckRestrictedZone: 'restrictedZone',
};

/** Muck-truck violations raised in the window, by company; a tracker gone offline counts as one (DOMAIN.md). */
export function muckByCompany(input: BriefingInput, w: PeriodWindow): BriefingResponse['muck'] {
  const companyOf = new Map(input.muckTrucks.map((t) => [t.id, t.company]));
  const rows = new Map<string, { company: string; trucks: number; violators: Set<string>; total: number; byType: Record<string, number> }>();
  for (const t of input.muckTrucks) {
    const r = rows.get(t.company) ?? { company: t.company, trucks: 0, violators: new Set<string>(), total: 0, byType: {} };
    r.trucks++;
    rows.set(t.company, r);
  }
  for (const a of input.muckAlarms) {
    if (!inWindow(a.startTs, w.from, w.to)) continue;
    const kind = MUCK_TYPES[a.type] ?? (a.type === 'deviceOffline' && a.entityKind === 'muckTruck' ? 'offline' : undefined);
    const company = companyOf.get(a.entityId);
    if (kind === undefined || company === undefined) continue;
    const r = rows.get(company)!;
    r.total++;
    r.violators.add(a.entityId);
    r.byType[kind] = (r.byType[kind] ?? 0) + 1;
  }
  return [...rows.values()]
    .map((r) => ({ company: r.company, trucks: r.trucks, violatingTrucks: r.violators.size, total: r.total, byType: r.byType }))
    .sort((a, b) => b.total - a.total || a.company.localeCompare(b.company, 'zh'));
}

export function computeBriefing(input: BriefingInput): BriefingResponse {
  const { period, now, cases, dispatchTargetMs } = input;
  const w = period.current;
  const current = kpis(input, w);
  const previous = kpis(input, period.previous);
  const definitions = indicatorDefinitions(Math.round(dispatchTargetMs / 60_000));
  const group = (key: (c: CaseFact) => string | null) => {
    const by = new Map<string, CaseFact[]>();
    for (const c of cases) {
      const k = key(c);
      if (k === null) continue;
      const list = by.get(k);
      if (list) list.push(c);
      else by.set(k, [c]);
    }
    return by;
  };
  const byStreet = group((c) => c.streetCode);
  const byDept = group((c) => c.deptCode);
  const due = dueIn(cases, w, now);
  const closureOf = (d: CaseDifficulty) => {
    const of = due.filter((c) => c.difficulty === d);
    const met = of.filter((c) => c.closedTs !== null && c.closedTs <= c.dueTs!).length;
    return { met, total: of.length, rate: rate(met, of.length) };
  };
  return {
    district: input.district,
    timeZone: input.timeZone,
    generatedTs: now,
    period: { kind: period.kind, ...w },
    previous: period.previous,
    definitions,
    kpis: (['reported', 'registered', 'closed', 'overdue', 'alarms', 'arrivalCompliance', 'avgArriveMin', 'avgCloseH', 'closureRate', 'onTimeClosureRate'] as const)
      .map((key) => ({ key, value: current[key], previous: previous[key] })),
    trend: trend(input),
    streets: input.streets.map((s) => rankingRow(s.code, s.name, tally(byStreet.get(s.code) ?? [], w, now, dispatchTargetMs))),
    departments: input.departments.map((d) => rankingRow(d.code, d.name, tally(byDept.get(d.code) ?? [], w, now, dispatchTargetMs))),
    compliance: { arrival: arrivalCompliance(cases, w, now), closure: { small: closureOf('small'), big: closureOf('big'), hard: closureOf('hard') } },
    muck: muckByCompany(input, w),
  };
}
