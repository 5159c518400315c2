/** Validation of the manifest and the geographic parts of a district pack. */
import {
  ROAD_CLASSES,
  type AreaProps, type CommunityProps, type DistrictMeta, type DistrictPack, type DistrictPackManifest, type GridProps,
  type LandmarkProps, type OptionalPackPart, type RoadGraph, type RoadProps, type StreetProps,
} from '../../shared/district.ts';
import type { LineStringGeometry, MultiPolygonGeometry, PointGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import { validateParty } from './validate-party.ts';
import { validateAssets, type AssetIndex } from './validate-assets.ts';
import { OPTIONAL_PACK_PARTS, validateCalendar, validateOrganisations, validateRestrictedZones, validateTaxonomy } from './validate-ops-parts.ts';
import { DistrictPackError } from './pack-error.ts';
import { checkCollection, checkPosition, isObject, uniqueBy, type Bbox, type Json } from './validate-geojson.ts';

export const PACK_FORMAT = 'cityops-district-pack';
export const PACK_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'pack.json';
export const PACK_PARTS = [
  'boundary', 'streets', 'communities', 'grids', 'roads', 'roadGraph', 'water', 'parks', 'landmarks',
  'toilets', 'bins', 'staff', 'vehicles', 'muckTrucks',
] as const satisfies readonly (keyof DistrictPackManifest['files'])[];
export type PackPart = (typeof PACK_PARTS)[number];

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function validateManifest(value: unknown): DistrictPackManifest {
  const fail = (problem: string): never => { throw new DistrictPackError(MANIFEST_FILE, problem); };
  if (!isObject(value)) return fail('not a JSON object');
  if (value.format !== PACK_FORMAT) fail(`format must be "${PACK_FORMAT}", got ${JSON.stringify(value.format)}`);
  if (value.formatVersion !== PACK_FORMAT_VERSION) fail(`unsupported formatVersion ${JSON.stringify(value.formatVersion)} (this build reads ${PACK_FORMAT_VERSION})`);
  const meta = value.meta;
  if (!isObject(meta)) return fail('meta missing');
  for (const key of ['id', 'name', 'nameEn', 'city', 'cityEn', 'attribution'] as const) {
    if (typeof meta[key] !== 'string' || (key !== 'attribution' && !nonEmpty(meta[key]))) fail(`meta.${key} must be a non-empty string`);
  }
  if (typeof meta.adcode !== 'string' || !/^\d{6}$/.test(meta.adcode)) fail('meta.adcode must be a 6-digit administrative code');
  if (!nonEmpty(meta.timezone) || !isTimeZone(meta.timezone)) fail(`meta.timezone ${JSON.stringify(meta.timezone)} is not an IANA time zone (e.g. "Asia/Shanghai")`);
  if (meta.crs !== 'WGS84') fail(`meta.crs must be "WGS84", got ${JSON.stringify(meta.crs)} (convert GCJ-02 / BD-09 coordinates to WGS-84 first)`);
  if (typeof meta.approximate !== 'boolean') fail('meta.approximate must be true or false');
  const bbox = meta.bbox;
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((n) => typeof n === 'number' && Number.isFinite(n))) return fail('meta.bbox must be [west, south, east, north]');
  const [w, s, e, n] = bbox as Bbox;
  if (!(w < e && s < n && w >= -180 && e <= 180 && s >= -90 && n <= 90)) fail(`meta.bbox [${bbox.join(', ')}] is not [west, south, east, north] in degrees`);
  checkPosition(meta.center, bbox as Bbox, (p) => fail(`meta.center: ${p}`), 'center');
  const files = value.files;
  if (!isObject(files)) return fail('files missing');
  for (const part of PACK_PARTS) if (!nonEmpty(files[part])) fail(`files.${part} must name the file holding ${part}`);
  for (const part of OPTIONAL_PACK_PARTS) if (files[part] !== undefined && !nonEmpty(files[part])) fail(`files.${part} must name the file holding ${part}, or be left out`);
  return value as unknown as DistrictPackManifest;
}

export function validateParts(meta: DistrictMeta, files: DistrictPackManifest['files'], raw: Record<PackPart, unknown> & Partial<Record<OptionalPackPart, unknown>>): DistrictPack {
  const bbox = meta.bbox;
  const area = (file: string): { file: string; bbox: Bbox; geometry: readonly ('Polygon' | 'MultiPolygon')[]; idKey: string; properties: (p: Json, fail: (m: string) => never) => void } => ({
    file, bbox, geometry: ['Polygon', 'MultiPolygon'], idKey: 'name',
    properties: (p, fail) => { if (!nonEmpty(p.name)) fail('properties.name must be a non-empty string'); },
  });

  const boundary = checkCollection<PolygonGeometry | MultiPolygonGeometry, AreaProps>(raw.boundary, area(files.boundary));
  if (boundary.features.length === 0) throw new DistrictPackError(files.boundary, 'no boundary feature');

  const streets = checkCollection<PolygonGeometry | MultiPolygonGeometry, StreetProps>(raw.streets, {
    file: files.streets, bbox, geometry: ['Polygon', 'MultiPolygon'], idKey: 'code',
    properties: (p, fail) => {
      if (typeof p.code !== 'string' || !/^\d{9}$/.test(p.code)) fail(`street code ${JSON.stringify(p.code)} is not 9 digits`);
      if (!(p.code as string).startsWith(meta.adcode)) fail(`street code ${String(p.code)} is not under district ${meta.adcode}`);
      if (!nonEmpty(p.name)) fail('properties.name must be a non-empty string');
      if (typeof p.nameEn !== 'string') fail('properties.nameEn must be a string');
    },
  });
  uniqueBy(streets.features, (p) => p.code, files.streets, 'feature', 'code');
  const streetCodes = new Set(streets.features.map((f) => f.properties.code));

  const communities = checkCollection<PolygonGeometry | MultiPolygonGeometry, CommunityProps>(raw.communities, {
    file: files.communities, bbox, geometry: ['Polygon', 'MultiPolygon'], idKey: 'code',
    properties: (p, fail) => {
      if (typeof p.code !== 'string' || !/^\d{12}$/.test(p.code)) fail(`community code ${JSON.stringify(p.code)} is not 12 digits`);
      if (typeof p.streetCode !== 'string' || !streetCodes.has(p.streetCode)) fail(`unknown streetCode ${JSON.stringify(p.streetCode)}`);
      if (!(p.code as string).startsWith(p.streetCode as string)) fail(`community code ${String(p.code)} is not under its street ${String(p.streetCode)}`);
      if (!nonEmpty(p.name)) fail('properties.name must be a non-empty string');
    },
  });
  uniqueBy(communities.features, (p) => p.code, files.communities, 'feature', 'code');
  const communityStreet = new Map(communities.features.map((f) => [f.properties.code, f.properties.streetCode]));

  const grids = checkCollection<PolygonGeometry, GridProps>(raw.grids, {
    file: files.grids, bbox, geometry: ['Polygon'], idKey: 'id',
    properties: (p, fail) => {
      if (!nonEmpty(p.id)) fail('properties.id must be a non-empty string');
      const street = communityStreet.get(p.communityCode as string);
      if (street === undefined) fail(`unknown communityCode ${JSON.stringify(p.communityCode)}`);
      if (p.streetCode !== street) fail(`streetCode ${JSON.stringify(p.streetCode)} is not the street of community ${String(p.communityCode)} (${String(street)})`);
      const id = p.id as string;
      if (!id.startsWith(p.communityCode as string) || id.length <= (p.communityCode as string).length) fail(`grid id ${id} is not nested under its community ${String(p.communityCode)}`);
    },
  });
  uniqueBy(grids.features, (p) => p.id, files.grids, 'feature', 'id');

  const roads = checkCollection<LineStringGeometry, RoadProps>(raw.roads, {
    file: files.roads, bbox, geometry: ['LineString'], idKey: 'id',
    properties: (p, fail) => {
      if (!nonEmpty(p.id)) fail('properties.id must be a non-empty string');
      if (typeof p.name !== 'string') fail('properties.name must be a string');
      if (!(ROAD_CLASSES as readonly unknown[]).includes(p.class)) fail(`road class ${JSON.stringify(p.class)} is not one of ${ROAD_CLASSES.join(', ')}`);
      if (p.oneway !== undefined && typeof p.oneway !== 'boolean') fail(`properties.oneway must be true or false when given, not ${JSON.stringify(p.oneway)}`);
    },
  });
  uniqueBy(roads.features, (p) => p.id, files.roads, 'feature', 'id');
  const roadIds = new Set(roads.features.map((f) => f.properties.id));

  const roadGraph = validateRoadGraph(raw.roadGraph, files.roadGraph, bbox, roadIds);
  const water = checkCollection<PolygonGeometry | MultiPolygonGeometry, AreaProps>(raw.water, area(files.water));
  const parks = checkCollection<PolygonGeometry | MultiPolygonGeometry, AreaProps>(raw.parks, area(files.parks));
  const landmarks = checkCollection<PointGeometry, LandmarkProps>(raw.landmarks, {
    file: files.landmarks, bbox, geometry: ['Point'], idKey: 'name',
    properties: (p, fail) => {
      if (!nonEmpty(p.name)) fail('properties.name must be a non-empty string');
      if (!nonEmpty(p.category)) fail('properties.category must be a non-empty string');
    },
  });

  const index: AssetIndex = {
    bbox, streetCodes, roadIds,
    gridStreet: new Map(grids.features.map((f) => [f.properties.id, f.properties.streetCode])),
  };
  const assets = validateAssets(files, raw, index);
  const pack: DistrictPack = { meta, boundary, streets, communities, grids, roads, roadGraph, water, parks, landmarks, ...assets };
  // Optional parts: organisations first, so the taxonomy's departments can be checked against them.
  if (files.organisations !== undefined) pack.organisations = validateOrganisations(raw.organisations, files.organisations, streetCodes);
  if (files.taxonomy !== undefined) {
    const depts = pack.organisations && new Set(pack.organisations.filter((o) => o.type === 'department').map((o) => o.code));
    pack.taxonomy = validateTaxonomy(raw.taxonomy, files.taxonomy, depts);
  }
  if (files.calendar !== undefined) pack.calendar = validateCalendar(raw.calendar, files.calendar);
  if (files.restrictedZones !== undefined) pack.restrictedZones = validateRestrictedZones(raw.restrictedZones, files.restrictedZones, bbox);
  if (files.party !== undefined) {
    pack.party = validateParty(raw.party, files.party, {
      bbox, streetCodes, communityStreet,
      gridCommunity: new Map(grids.features.map((f) => [f.properties.id, f.properties.communityCode])),
      staffStreet: new Map(pack.staff.map((s) => [s.id, s.streetCode])),
    });
  }
  return pack;
}

function validateRoadGraph(value: unknown, file: string, bbox: Bbox, roadIds: ReadonlySet<string>): RoadGraph {
  if (!isObject(value) || !Array.isArray(value.nodes) || !Array.isArray(value.edges)) {
    throw new DistrictPackError(file, 'must be an object with "nodes" and "edges" arrays');
  }
  const nodes = value.nodes as unknown[];
  nodes.forEach((n, i) => checkPosition(n, bbox, (p) => { throw new DistrictPackError(file, p, `node #${i}`); }));
  (value.edges as unknown[]).forEach((e, i) => {
    const label = `edge #${i}${Array.isArray(e) && typeof e[3] === 'string' ? ` (road ${e[3]})` : ''}`;
    const fail = (problem: string): never => { throw new DistrictPackError(file, problem, label); };
    if (!Array.isArray(e) || e.length !== 4) return fail('edge must be [fromNode, toNode, lengthM, roadId]');
    const [from, to, len, road] = e as unknown[];
    for (const end of [from, to]) {
      if (!Number.isInteger(end) || (end as number) < 0 || (end as number) >= nodes.length) fail(`references missing node ${JSON.stringify(end)} (graph has ${nodes.length} nodes)`);
    }
    if (from === to) fail(`loops on node ${String(from)}`);
    if (typeof len !== 'number' || !Number.isFinite(len) || (len as number) <= 0) fail(`length ${JSON.stringify(len)} must be a positive number of metres`);
    if (typeof road !== 'string' || !roadIds.has(road)) fail(`references unknown road ${JSON.stringify(road)}`);
  });
  return value as unknown as RoadGraph;
}
