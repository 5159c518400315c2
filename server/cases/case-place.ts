/**
 * Where a case is and who owns it: street, community and grid from the point (a point
 * outside the district is refused), the organisation it is assigned to, and its human
 * number LX-YYYYMMDD-NNNN counted per local day of the district.
 */
import type { CaseLocation, Organisation, TaxonomyItem } from '../../shared/cases.ts';
import type { DistrictLocator } from '../district/locator.ts';
import { HttpError } from '../http-error.ts';

export function locateCase(locator: DistrictLocator, districtName: string, lon: number, lat: number, address: string | null): CaseLocation {
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) throw new HttpError(400, 'bad_request', 'lon and lat must be finite numbers (WGS-84 degrees)');
  const place = locator.inDistrict(lon, lat) ? locator.locate(lon, lat) : null;
  if (!place) throw new HttpError(400, 'outside_district', `the point (${lon}, ${lat}) is outside the district ${districtName}: cases are taken only inside it`);
  return { lon, lat, streetCode: place.streetCode, communityCode: place.communityCode, gridId: place.gridId, address };
}

/** The item's department, unless that department works street by street (streetLevel): then the street. */
export function assignedOrgFor(item: TaxonomyItem, streetCode: string, orgs: ReadonlyMap<string, Organisation>): string {
  const dept = orgs.get(item.deptCode);
  return !dept || dept.streetLevel ? streetCode : dept.code;
}

const DAY_FORMATS = new Map<string, Intl.DateTimeFormat>();

/** 'YYYYMMDD' of the local date in the district's time zone. */
export function localDay(ts: number, timeZone: string): string {
  let fmt = DAY_FORMATS.get(timeZone);
  // Building a formatter costs far more than using one: one per zone.
  if (!fmt) DAY_FORMATS.set(timeZone, (fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })));
  const parts = fmt.formatToParts(ts);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}${get('month')}${get('day')}`;
}

export function caseCode(prefix: string, day: string, n: number): string {
  return `${prefix}-${day}-${String(n).padStart(4, '0')}`;
}
