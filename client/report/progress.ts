/**
 * What the status page shows of a request: the citizen's view of the case workflow
 * (GB/T 30428 上报 → 立案 → 派遣 → 处置 → 核查 → 结案) as six steps, each done, current or
 * to come, with the time it happened in district time.
 */
import type { ServiceRequest, TimelineEvent } from '../http/open311-api.ts';

/** 已受理 → 已立案 → 已派遣 → 处置中 → 已处置 → 已结案 */
export const PROGRESS_STEPS = ['received', 'registered', 'dispatched', 'handling', 'handled', 'closed'] as const;
export type ProgressStepName = (typeof PROGRESS_STEPS)[number];

/**
 * How far each event carries the request. `verified` (核查, the centre checks the handling) has
 * no step of its own for a citizen: it means "handled" is behind us and closing is next.
 */
const REACH: Partial<Record<TimelineEvent, number>> = { received: 0, registered: 1, dispatched: 2, handling: 3, handled: 4, verified: 4, closed: 5, rated: 5 };

export interface ProgressStep {
  name: ProgressStepName;
  state: 'done' | 'current' | 'todo';
  /** ISO time of the step's own event; null when it has not happened or was passed over (a case closed without dispatch). */
  at: string | null;
}

export interface Progress {
  steps: ProgressStep[];
  /** 已作废 — the request was voided (a duplicate, not the bureau's matter): no further step will come. */
  voided: { at: string } | null;
}

export function requestProgress(r: Pick<ServiceRequest, 'status' | 'updated_datetime' | 'requested_datetime' | 'extended_attributes'>): Progress {
  const timeline = r.extended_attributes?.timeline ?? [];
  const firstAt = new Map<TimelineEvent, string>();
  for (const e of [...timeline].sort((a, b) => Date.parse(a.datetime) - Date.parse(b.datetime))) if (!firstAt.has(e.event)) firstAt.set(e.event, e.datetime);
  if (!firstAt.has('received')) firstAt.set('received', r.requested_datetime);

  let reach = 0;
  for (const event of firstAt.keys()) reach = Math.max(reach, REACH[event] ?? 0);
  const voidedAt = firstAt.get('voided');
  const closed = r.status === 'closed';
  if (closed && !voidedAt) {
    reach = PROGRESS_STEPS.length - 1;
    if (!firstAt.has('closed')) firstAt.set('closed', r.updated_datetime ?? r.requested_datetime);
  }
  const finished = closed || voidedAt !== undefined;
  const steps = PROGRESS_STEPS.map((name, k): ProgressStep => ({
    name,
    state: k <= reach ? 'done' : k === reach + 1 && !finished ? 'current' : 'todo',
    at: k <= reach ? (firstAt.get(name) ?? null) : null,
  }));
  return { steps, voided: voidedAt ? { at: voidedAt } : null };
}

const formats = new Map<string, Intl.DateTimeFormat>();
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An instant as the district's clock shows it ("11月28日 14:05" / "28 Nov, 14:05"), whatever
 * zone the phone is in: the citizen compares it with what happened on the street. Built from
 * numeric parts: browsers' locale data differ in how they spell a date ("11/28", "11月28日").
 */
export function districtTime(iso: string, locale: 'zh' | 'en', timeZone = 'Asia/Shanghai'): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '—';
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  const parts = f.formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const [month, day, hour, minute] = [part('month'), part('day'), part('hour') % 24, part('minute')];
  const hm = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  return locale === 'zh' ? `${month}月${day}日 ${hm}` : `${day} ${MONTHS_EN[month - 1]}, ${hm}`;
}
