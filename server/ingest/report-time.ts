/**
 * A device's report time, as MQTT payloads and HTTP items send it: ISO 8601 with a zone, or
 * epoch milliseconds. A time without a zone is refused rather than guessed (a sensor in
 * GMT+8 read as UTC would be eight hours off), and so is a number that looks like epoch
 * seconds — the commonest integration mistake, which would otherwise read as January 1970.
 */
export type ReportTimeResult = { ok: true; ts: number } | { ok: false; detail: string };

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
/** 2001-09-09 in ms; any sensible report is later, any epoch-seconds value of this century is smaller. */
const MIN_EPOCH_MS = 1e12;

export function parseReportTime(value: unknown): ReportTimeResult {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return { ok: false, detail: 'ts must be an integer of epoch milliseconds' };
    if (value < MIN_EPOCH_MS) return { ok: false, detail: `ts ${value} looks like epoch seconds; send epoch milliseconds or ISO 8601` };
    return { ok: true, ts: value };
  }
  if (typeof value === 'string') {
    if (!ISO_WITH_ZONE.test(value)) return { ok: false, detail: `ts ${JSON.stringify(value.slice(0, 40))} is not ISO 8601 with a zone (e.g. 2026-12-07T14:03:00+08:00)` };
    const ts = Date.parse(value);
    if (!Number.isFinite(ts)) return { ok: false, detail: `ts ${JSON.stringify(value)} is not a valid date` };
    return { ok: true, ts };
  }
  return { ok: false, detail: 'ts is missing (ISO 8601 or epoch milliseconds)' };
}
