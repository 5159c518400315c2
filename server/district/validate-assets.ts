/** Validation of the facility and fleet parts of a district pack (sites, staff, vehicles, muck trucks). */
import type {
  BinSite, DistrictPack, DistrictPackManifest, FleetMuckTruck, FleetVehicle, RequiredPackPart, StaffMember, ToiletSite,
} from '../../shared/district.ts';
import { BIN_TYPES, STAFF_ROLES, TOILET_CLASSES, VEHICLE_TYPES } from '../../shared/entities.ts';
import { DistrictPackError, itemLabel } from './pack-error.ts';
import { checkPosition, isObject, uniqueBy, type Bbox, type Json } from './validate-geojson.ts';

export interface AssetIndex {
  bbox: Bbox;
  streetCodes: ReadonlySet<string>;
  roadIds: ReadonlySet<string>;
  /** grid id → its street code */
  gridStreet: ReadonlyMap<string, string>;
}

type Assets = Pick<DistrictPack, 'toilets' | 'bins' | 'staff' | 'vehicles' | 'muckTrucks'>;
type Fail = (problem: string) => never;

const HOURS = /^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/;

const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

function checkArray<T>(value: unknown, file: string, check: (item: Json, fail: Fail) => void): T[] {
  if (!Array.isArray(value)) throw new DistrictPackError(file, 'must be a JSON array');
  value.forEach((item, i) => {
    const label = itemLabel('item', i, 'id', isObject(item) ? item.id : undefined);
    const fail: Fail = (problem) => { throw new DistrictPackError(file, problem, label); };
    if (!isObject(item)) fail('must be a JSON object');
    if (typeof (item as Json).id !== 'string' || (item as Json).id === '') fail('id must be a non-empty string');
    check(item as Json, fail);
  });
  uniqueBy(value as Json[], (item) => item.id as string, file, 'item', 'id');
  return value as T[];
}

export function validateAssets(files: DistrictPackManifest['files'], raw: Record<RequiredPackPart, unknown>, ix: AssetIndex): Assets {
  /** Street, grid (and that the grid lies in that street), optional road. */
  const place = (item: Json, fail: Fail): void => {
    if (typeof item.streetCode !== 'string' || !ix.streetCodes.has(item.streetCode)) fail(`unknown streetCode ${JSON.stringify(item.streetCode)}`);
    const gridStreet = ix.gridStreet.get(item.gridId as string);
    if (gridStreet === undefined) fail(`unknown gridId ${JSON.stringify(item.gridId)}`);
    if (gridStreet !== item.streetCode) fail(`grid ${String(item.gridId)} belongs to street ${String(gridStreet)}, not ${String(item.streetCode)}`);
    if (item.roadId !== undefined && (typeof item.roadId !== 'string' || !ix.roadIds.has(item.roadId))) fail(`unknown roadId ${JSON.stringify(item.roadId)}`);
  };
  const point = (item: Json, fail: Fail): void => { checkPosition([item.lon, item.lat], ix.bbox, fail, 'lon/lat'); };
  const text = (item: Json, key: string, fail: Fail): void => { if (typeof item[key] !== 'string' || item[key] === '') fail(`${key} must be a non-empty string`); };
  const hours = (value: unknown, key: string, fail: Fail): void => { if (typeof value !== 'string' || !HOURS.test(value)) fail(`${key} ${JSON.stringify(value)} is not "HH:MM-HH:MM"`); };
  const oneOf = (value: unknown, allowed: readonly string[], key: string, fail: Fail): void => {
    if (!allowed.includes(value as string)) fail(`${key} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  };

  const toilets = checkArray<ToiletSite>(raw.toilets, files.toilets, (t, fail) => {
    text(t, 'name', fail); point(t, fail); place(t, fail);
    oneOf(t.toiletClass, TOILET_CLASSES, 'toiletClass', fail);
    if (!Number.isInteger(t.stalls) || !positive(t.stalls)) fail('stalls must be a positive integer');
    hours(t.hours, 'hours', fail);
  });
  const bins = checkArray<BinSite>(raw.bins, files.bins, (b, fail) => {
    point(b, fail); place(b, fail);
    oneOf(b.binType, BIN_TYPES, 'binType', fail);
    if (!positive(b.capacityL)) fail('capacityL must be a positive number of litres');
  });
  const staff = checkArray<StaffMember>(raw.staff, files.staff, (s, fail) => {
    text(s, 'name', fail); place(s, fail);
    oneOf(s.role, STAFF_ROLES, 'role', fail);
    hours(s.shift, 'shift', fail);
  });
  const vehicles = checkArray<FleetVehicle>(raw.vehicles, files.vehicles, (v, fail) => {
    text(v, 'plate', fail); place(v, fail);
    oneOf(v.vehicleType, VEHICLE_TYPES, 'vehicleType', fail);
    if (!Array.isArray(v.roadIds)) fail('roadIds must be an array of road ids');
    for (const id of v.roadIds as unknown[]) if (typeof id !== 'string' || !ix.roadIds.has(id)) fail(`roadIds references unknown road ${JSON.stringify(id)}`);
    checkPosition(v.depot, ix.bbox, fail, 'depot');
    if (!positive(v.workSpeedLimitKph)) fail('workSpeedLimitKph must be a positive number');
  });
  const permitIds = new Set<string>();
  const muckTrucks = checkArray<FleetMuckTruck>(raw.muckTrucks, files.muckTrucks, (m, fail) => {
    text(m, 'plate', fail); text(m, 'company', fail); place(m, fail);
    const permit = m.permit;
    if (!isObject(permit)) return fail('permit missing');
    const pid = permit.id;
    if (typeof pid !== 'string' || pid === '') fail('permit.id must be a non-empty string');
    if (permitIds.has(pid as string)) fail(`duplicate permit id ${String(pid)}`);
    permitIds.add(pid as string);
    for (const end of ['site', 'disposal'] as const) {
      const at = permit[end];
      if (!isObject(at) || typeof at.name !== 'string' || at.name === '') return fail(`permit.${end} needs a name`);
      checkPosition([at.lon, at.lat], ix.bbox, fail, `permit.${end}`);
    }
    const roadIds = permit.routeRoadIds;
    if (!Array.isArray(roadIds) || roadIds.length === 0) fail('permit.routeRoadIds is empty: a permit needs a route');
    for (const id of roadIds as unknown[]) if (typeof id !== 'string' || !ix.roadIds.has(id)) fail(`permit.routeRoadIds references unknown road ${JSON.stringify(id)}`);
    if (!Array.isArray(permit.route) || permit.route.length < 2) fail('permit.route needs at least 2 positions');
    for (const p of permit.route as unknown[]) checkPosition(p, ix.bbox, fail, 'permit.route position');
    hours(permit.hours, 'permit.hours', fail);
    if (!positive(permit.corridorM)) fail('permit.corridorM must be a positive number of metres');
  });
  return { toilets, bins, staff, vehicles, muckTrucks };
}
