/** The heat charts' HTTP reads (/api/heat…), for the wall's layer, the charts and the briefing. */
import type { CalendarResponse, HeatEventKind, HeatKind, HeatResponse, StreetHourResponse } from '../../shared/schemas/heat.ts';
import { apiFetch } from '../http/api.ts';

export type { CalendarResponse, HeatEventKind, HeatKind, HeatResponse, StreetHourResponse };

/** Type-only import above keeps TypeBox out of the client: the kinds are listed here, checked against the schema's type. */
export const HEAT_LAYER_KINDS = ['cases', 'alarms', 'units'] as const satisfies readonly HeatKind[];

export interface HeatWindow { from: number; to: number }

/** The caller's abort (unmount) and the API's own timeout, both. */
const init = (signal?: AbortSignal): RequestInit => (signal ? { signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]) } : {});

const query = (params: Record<string, string | number | undefined>) =>
  Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');

export function fetchHeat(token: string | null, kind: HeatKind, w: HeatWindow, street?: string, signal?: AbortSignal): Promise<HeatResponse> {
  return apiFetch<HeatResponse>(`/api/heat?${query({ kind, from: w.from, to: w.to, street })}`, token, init(signal));
}

export function fetchStreetHour(token: string | null, kind: HeatEventKind, w: HeatWindow, signal?: AbortSignal): Promise<StreetHourResponse> {
  return apiFetch<StreetHourResponse>(`/api/heat/street-hour?${query({ kind, from: w.from, to: w.to })}`, token, init(signal));
}

export function fetchCalendar(token: string | null, kind: HeatEventKind, days: number, street?: string, signal?: AbortSignal): Promise<CalendarResponse> {
  return apiFetch<CalendarResponse>(`/api/heat/calendar?${query({ kind, days, street })}`, token, init(signal));
}
