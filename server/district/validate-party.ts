/**
 * Validation of the pack's party-building part (party.json, shared/party.ts): every branch
 * sits in a known community and covers grids of it, every member is a staff member of the
 * pack in a known branch, every pioneer post is a point inside the pack's bbox in a known street.
 */
import type { PartyBuilding } from '../../shared/party.ts';
import { DistrictPackError, itemLabel } from './pack-error.ts';
import { checkPosition, isObject, uniqueBy, type Bbox, type Json } from './validate-geojson.ts';

export interface PartyIndex {
  bbox: Bbox;
  streetCodes: ReadonlySet<string>;
  communityStreet: ReadonlyMap<string, string>;
  gridCommunity: ReadonlyMap<string, string>;
  staffStreet: ReadonlyMap<string, string>;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const HOURS = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/;
type Fail = (problem: string) => never;

function items(list: unknown, file: string, what: string, check: (item: Json, fail: Fail) => void): Json[] {
  if (!Array.isArray(list)) throw new DistrictPackError(file, `${what} must be a JSON array`);
  list.forEach((item, i) => {
    const label = `${what} ${itemLabel('item', i, 'id', isObject(item) ? item.id : undefined)}`;
    const fail: Fail = (problem) => { throw new DistrictPackError(file, problem, label); };
    if (!isObject(item)) fail('must be a JSON object');
    for (const k of ['id', 'name']) if (!nonEmpty((item as Json)[k])) fail(`${k} must be a non-empty string`);
    check(item as Json, fail);
  });
  uniqueBy(list as Json[], (item) => item.id as string, file, 'item', 'id');
  return list as Json[];
}

export function validateParty(value: unknown, file: string, ix: PartyIndex): PartyBuilding {
  if (!isObject(value)) throw new DistrictPackError(file, 'must be an object with "branches", "members" and "posts" arrays');
  const branchStreet = new Map<string, string>();
  items(value.branches, file, 'branches', (b, fail) => {
    const street = ix.communityStreet.get(b.communityCode as string);
    if (street === undefined) fail(`unknown communityCode ${JSON.stringify(b.communityCode)}`);
    if (b.streetCode !== street) fail(`streetCode ${JSON.stringify(b.streetCode)} is not the street of community ${String(b.communityCode)} (${String(street)})`);
    if (!Array.isArray(b.gridIds)) fail('gridIds must be an array of grid ids');
    for (const g of b.gridIds as unknown[]) {
      const community = ix.gridCommunity.get(g as string);
      if (community === undefined) fail(`grid ${JSON.stringify(g)} is not a grid of grids.geojson`);
      if (community !== b.communityCode) fail(`grid ${String(g)} is in community ${String(community)}, not the branch's ${String(b.communityCode)}`);
    }
    if (!nonEmpty(b.secretary)) fail('secretary must be a non-empty string');
    branchStreet.set(b.id as string, street!);
  });
  const staffSeen = new Map<string, string>();
  items(value.members, file, 'members', (m, fail) => {
    if (!branchStreet.has(m.branchId as string)) fail(`unknown branchId ${JSON.stringify(m.branchId)}`);
    if (!ix.streetCodes.has(m.streetCode as string)) fail(`unknown streetCode ${JSON.stringify(m.streetCode)}`);
    const staffStreet = ix.staffStreet.get(m.staffId as string);
    if (staffStreet === undefined) fail(`staffId ${JSON.stringify(m.staffId)} is not a staff member of staff.json`);
    if (staffStreet !== m.streetCode) fail(`streetCode ${String(m.streetCode)} differs from its staff member's (${String(staffStreet)})`);
    const before = staffSeen.get(m.staffId as string);
    if (before) fail(`staff ${String(m.staffId)} is already member ${before}`);
    staffSeen.set(m.staffId as string, m.id as string);
  });
  items(value.posts, file, 'posts', (p, fail) => {
    if (!ix.streetCodes.has(p.streetCode as string)) fail(`unknown streetCode ${JSON.stringify(p.streetCode)}`);
    checkPosition([p.lon, p.lat], ix.bbox, fail, 'lon/lat');
    if (!nonEmpty(p.address)) fail('address must be a non-empty string');
    if (!Array.isArray(p.services) || p.services.length === 0 || !(p.services as unknown[]).every(nonEmpty)) fail('services must be a non-empty array of names');
    if (typeof p.hours !== 'string' || !HOURS.test(p.hours)) fail(`hours ${JSON.stringify(p.hours)} must be "HH:MM-HH:MM"`);
  });
  return value as unknown as PartyBuilding;
}
