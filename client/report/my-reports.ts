/**
 * 我的上报 — what this phone has reported: the request number, and the two secrets that come
 * back with it (the rating key that lets this citizen rate the handling, the token). Kept in
 * localStorage only: there is no account, so this list is the citizen's only way back to a report.
 */

export interface MyReport {
  id: string;
  ratingKey: string | null;
  token: string | null;
  /** Category name at the time of sending, so the list reads without a request to the server. */
  serviceName: string;
  /** ISO time the report was sent. */
  sentAt: string;
}

export const MY_REPORTS_KEY = 'cityops.report.mine';
/** Enough for anyone's own history; a full list drops its oldest entries. */
export const MY_REPORTS_MAX = 50;

interface KeyValueStorage { getItem(key: string): string | null; setItem(key: string, value: string): void }

function isMyReport(v: unknown): v is MyReport {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.id === 'string' && r.id !== '' && (r.ratingKey === null || typeof r.ratingKey === 'string')
    && (r.token === null || typeof r.token === 'string') && typeof r.serviceName === 'string' && typeof r.sentAt === 'string';
}

/** The stored list, newest first; anything unreadable (edited by hand, an old format) is skipped, not fatal. */
export function loadMyReports(storage: KeyValueStorage | undefined): MyReport[] {
  try {
    const raw = storage?.getItem(MY_REPORTS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : [];
    return Array.isArray(parsed) ? parsed.filter(isMyReport) : [];
  } catch {
    return [];
  }
}

/** Adds (or refreshes) one report at the top of the list. False when storage is unavailable (private mode). */
export function rememberReport(storage: KeyValueStorage | undefined, report: MyReport): boolean {
  const list = [report, ...loadMyReports(storage).filter((r) => r.id !== report.id)].slice(0, MY_REPORTS_MAX);
  try {
    storage?.setItem(MY_REPORTS_KEY, JSON.stringify(list));
    return storage !== undefined;
  } catch {
    return false;
  }
}

export function ratingKeyFor(storage: KeyValueStorage | undefined, id: string): string | null {
  return loadMyReports(storage).find((r) => r.id === id)?.ratingKey ?? null;
}

/** The browser's localStorage, or undefined where it is disabled (some in-app browsers throw on access). */
export function browserStorage(): KeyValueStorage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
