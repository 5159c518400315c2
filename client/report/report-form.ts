/**
 * The citizen's report as it is being filled in, its checks, and the multipart fields of the
 * GeoReport v2 POST /requests.json it becomes. Pure: no DOM, no Vue — the screen holds a draft
 * and asks these for the errors to show beside each field.
 */
import type { ServiceAttribute } from '../http/open311-api.ts';

export const DESCRIPTION_MAX = 4000;

export interface ReportDraft {
  serviceCode: string | null;
  lon: number | null;
  lat: number | null;
  description: string;
  /** attribute code → value; a multivaluelist holds the chosen keys. */
  attributes: Record<string, string | string[]>;
}

/** Why a field is refused; the screen turns each into words naming the field. */
export type FieldProblem =
  | { field: 'service'; problem: 'missing' }
  | { field: 'location'; problem: 'missing' | 'outside' }
  | { field: 'description'; problem: 'missing' | 'tooLong' }
  | { field: `attribute:${string}`; problem: 'missing' | 'notNumber' | 'notDate' | 'notInList' };

function blank(v: string | string[] | undefined): boolean {
  return v === undefined || (Array.isArray(v) ? v.length === 0 : v.trim() === '');
}

/** A `datetime-local` value ("2026-11-28T10:30") or a full ISO time. */
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * The district's UTC offset. A `datetime-local` input has no zone; the citizen means district
 * time (Asia/Shanghai, no daylight saving), whatever zone the phone is set to.
 */
export const DISTRICT_UTC_OFFSET = '+08:00';

/** A datetime value as an ISO instant; one without a zone is read as district time. */
export function districtInstant(value: string): string {
  const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}${DISTRICT_UTC_OFFSET}`;
  return new Date(zoned).toISOString();
}

/** Every problem of the draft, in the order the form shows its fields. Empty when it may be sent. */
export function validateDraft(d: ReportDraft, attributes: readonly ServiceAttribute[], bbox: readonly [number, number, number, number]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (d.lon === null || d.lat === null) problems.push({ field: 'location', problem: 'missing' });
  else if (d.lon < bbox[0] || d.lon > bbox[2] || d.lat < bbox[1] || d.lat > bbox[3]) problems.push({ field: 'location', problem: 'outside' });
  if (!d.serviceCode) problems.push({ field: 'service', problem: 'missing' });
  for (const a of attributes) {
    if (!a.variable) continue;
    const v = d.attributes[a.code];
    const field = `attribute:${a.code}` as const;
    if (blank(v)) {
      if (a.required) problems.push({ field, problem: 'missing' });
      continue;
    }
    const values = Array.isArray(v) ? v : [v!.trim()];
    if (a.datatype === 'number' && !Number.isFinite(Number(values[0]))) problems.push({ field, problem: 'notNumber' });
    else if (a.datatype === 'datetime' && (!DATETIME.test(values[0]!) || Number.isNaN(Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(values[0]!) ? values[0]! : `${values[0]!}${DISTRICT_UTC_OFFSET}`)))) problems.push({ field, problem: 'notDate' });
    else if ((a.datatype === 'singlevaluelist' || a.datatype === 'multivaluelist') && !values.every((x) => a.values?.some((o) => o.key === x))) {
      problems.push({ field, problem: 'notInList' });
    }
  }
  const text = d.description.trim();
  if (text === '') problems.push({ field: 'description', problem: 'missing' });
  else if ([...text].length > DESCRIPTION_MAX) problems.push({ field: 'description', problem: 'tooLong' });
  return problems;
}

/**
 * The text fields of the multipart body, in order (the photo is appended by the caller as
 * `media`). Coordinates go with 6 decimals (~0.1 m): more would only look precise.
 * Attributes that are not `variable` (informational) and blank optional ones are not sent.
 */
export function requestFields(d: ReportDraft, attributes: readonly ServiceAttribute[], apiKey: string): [string, string][] {
  if (!d.serviceCode || d.lon === null || d.lat === null) throw new Error('requestFields: the draft is not complete (validateDraft first)');
  const out: [string, string][] = [
    ['api_key', apiKey],
    ['service_code', d.serviceCode],
    ['lat', d.lat.toFixed(6)],
    ['long', d.lon.toFixed(6)],
    ['description', d.description.trim()],
  ];
  for (const a of [...attributes].sort((x, y) => x.order - y.order)) {
    if (!a.variable) continue;
    const v = d.attributes[a.code];
    if (blank(v)) continue;
    if (Array.isArray(v)) for (const key of v) out.push([`attribute[${a.code}]`, key]);
    else if (a.datatype === 'datetime') out.push([`attribute[${a.code}]`, districtInstant(v!.trim())]);
    else out.push([`attribute[${a.code}]`, v!.trim()]);
  }
  return out;
}
