/**
 * The PRC public holidays and adjusted working days (调休) of 2026, as published by the
 * State Council General Office (国办发明电〔2025〕7号). 2027 is not included: its
 * arrangement is published around November of the year before; add it then.
 */
import type { WorkCalendar } from '../../shared/sla.ts';

/** [first, last] local dates of each holiday break (weekends inside a break included). */
const BREAKS_2026: [string, string, string][] = [
  ['元旦 New Year', '2026-01-01', '2026-01-03'],
  ['春节 Spring Festival', '2026-02-15', '2026-02-23'],
  ['清明节 Qingming', '2026-04-04', '2026-04-06'],
  ['劳动节 Labour Day', '2026-05-01', '2026-05-05'],
  ['端午节 Dragon Boat', '2026-06-19', '2026-06-21'],
  ['中秋节 Mid-Autumn', '2026-09-25', '2026-09-27'],
  ['国庆节 National Day', '2026-10-01', '2026-10-07'],
];

/** Weekend days that are working days (调休上班). */
const WORKDAYS_2026 = ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'];

function datesBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export function buildCalendar(): WorkCalendar {
  return { holidays: BREAKS_2026.flatMap(([, a, b]) => datesBetween(a, b)), workdays: [...WORKDAYS_2026] };
}
