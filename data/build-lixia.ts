/**
 * Builds the embedded district pack data/lixia/ from data/lixia/divisions.json (real names
 * and codes) and the hand-authored approximate geography in data/build/geography.ts.
 * Deterministic: the same inputs give byte-identical files.
 *
 *   npm run pack:lixia
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DistrictMeta, DistrictPackManifest } from '../shared/district.ts';
import type { Feature, FeatureCollection, LonLat, PolygonGeometry } from '../shared/geojson.ts';
import { pointInRing } from '../shared/geo.ts';
import { loadDistrictPack } from '../server/district/load-pack.ts';
import { buildAreas, gridPolygon, GridIndex } from './build/areas.ts';
import { placeFacilities } from './build/facilities.ts';
import {
  BOUNDARY, DISTRICT, LANDMARKS, PARK_PATHS, PARKS, ROW_CONTROLS, STREET_SEEDS, WATER, WATER_PATHS,
  type AreaSpec, type PathSpec,
} from './build/geography.ts';
import { buildRoads, componentCount } from './build/roads.ts';
import { buildTaxonomy } from './build/taxonomy.ts';
import { buildOrganisations } from './build/organisations.ts';
import { buildCalendar } from './build/calendar.ts';
import { buildRestrictedZones } from './build/restricted-zones.ts';
import { buildParty } from './build/party.ts';
import { PolygonIndex } from '../server/district/locator.ts';
import { closeRing, interp, multiPolygonAreaM2, Rng, roundLonLat, toLonLat, toXY } from './build/util.ts';

interface Divisions { source: string; adcode: string; streets: { code: string; name: string; communities: { code: string; name: string }[] }[] }

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'lixia');
const SEED = 0x11a102;

/** A thin polygon around a centre line (for the moat and its green belt). */
function bufferPath(path: LonLat[], widthM: number): LonLat[] {
  const xy = path.map((p) => toXY(p));
  const left: LonLat[] = [];
  const right: LonLat[] = [];
  xy.forEach((p, k) => {
    const a = xy[Math.max(0, k - 1)]!;
    const b = xy[Math.min(xy.length - 1, k + 1)]!;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const n: [number, number] = [(-(b[1] - a[1]) / len) * (widthM / 2), ((b[0] - a[0]) / len) * (widthM / 2)];
    left.push(roundLonLat(toLonLat([p[0] + n[0], p[1] + n[1]])));
    right.push(roundLonLat(toLonLat([p[0] - n[0], p[1] - n[1]])));
  });
  return closeRing([...left, ...right.reverse()]);
}

function areaFeature(spec: AreaSpec | PathSpec): Feature<PolygonGeometry, { name: string; nameEn?: string }> {
  const ring = 'ring' in spec ? closeRing(spec.ring.map((p) => roundLonLat(p))) : bufferPath(spec.path, spec.widthM);
  const properties: { name: string; nameEn?: string } = { name: spec.name };
  if (spec.nameEn) properties.nameEn = spec.nameEn;
  return { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties };
}

/** One feature or item per line: small diffs, still valid JSON. */
function collectionText<G extends FeatureCollection['features'][number]['geometry'], P>(fc: FeatureCollection<G, P>): string {
  return `{"type":"FeatureCollection","features":[\n${fc.features.map((f) => JSON.stringify(f)).join(',\n')}\n]}\n`;
}
function arrayText(items: readonly unknown[]): string {
  return `[\n${items.map((i) => JSON.stringify(i)).join(',\n')}\n]\n`;
}

async function main(): Promise<void> {
  const rng = new Rng(SEED);
  const divisions = JSON.parse(readFileSync(join(OUT, 'divisions.json'), 'utf8')) as Divisions;
  const boundaryRing = closeRing(BOUNDARY.map((p) => roundLonLat(p)));
  const seedByCode = new Map(STREET_SEEDS.map((s) => [s.code, s]));
  for (const s of divisions.streets) if (!seedByCode.has(s.code)) throw new Error(`no seed for street ${s.code} ${s.name}`);

  const areas = buildAreas(BOUNDARY, STREET_SEEDS, new Map(divisions.streets.map((s) => [s.code, s.communities.map((c) => c.code)])), rng);
  const gridIndex = new GridIndex(areas.grids);

  const closed = [...PARKS.filter((p) => !['泉城公园', '历下儿童公园', '大明湖风景区'].includes(p.name)).map((p) => p.ring)];
  const lvyou = ROW_CONTROLS[1]!.knots;
  const net = buildRoads({
    boundary: BOUNDARY,
    water: WATER.map((w) => w.ring),
    closed,
    isHill: (p) => p[1] < interp(lvyou, p[0]) - 0.002,
  }, rng);
  const components = componentCount(net.nodes.length, net.edges);
  if (components !== 1) throw new Error(`road graph has ${components} components`);

  const placed = placeFacilities(net, gridIndex, rng);

  const lons = boundaryRing.map((p) => p[0]);
  const lats = boundaryRing.map((p) => p[1]);
  const meta: DistrictMeta = {
    ...DISTRICT,
    bbox: [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)],
    timezone: 'Asia/Shanghai',
    crs: 'WGS84',
    approximate: true,
    attribution: `Approximate geometry generated for CityOps Command; names and codes: ${divisions.source}`,
  };

  const streetNames = new Map(divisions.streets.map((s) => [s.code, s.name]));
  const communityNames = new Map(divisions.streets.flatMap((s) => s.communities.map((c) => [c.code, c.name] as const)));
  const files: DistrictPackManifest['files'] = {
    boundary: 'boundary.geojson', streets: 'streets.geojson', communities: 'communities.geojson', grids: 'grids.geojson',
    roads: 'roads.geojson', roadGraph: 'road-graph.json', water: 'water.geojson', parks: 'parks.geojson',
    landmarks: 'landmarks.geojson', toilets: 'toilets.json', bins: 'bins.json', staff: 'staff.json',
    vehicles: 'vehicles.json', muckTrucks: 'muck-trucks.json',
    taxonomy: 'taxonomy.json', organisations: 'organisations.json', calendar: 'calendar.json', restrictedZones: 'restricted-zones.geojson',
    party: 'party.json',
  };
  const taxonomy = buildTaxonomy();
  const calendar = buildCalendar();
  const party = buildParty({
    streets: divisions.streets.map((s) => ({ code: s.code, name: streetNames.get(s.code)! })),
    communities: areas.communities.map((c) => ({ code: c.code, name: communityNames.get(c.code)!, streetCode: c.streetCode })),
    grids: areas.grids, gridIndex, staff: placed.staff, net,
  });
  const manifest: DistrictPackManifest = { format: 'cityops-district-pack', formatVersion: 1, meta, files };
  const texts: Record<string, string> = {
    'pack.json': `${JSON.stringify(manifest, null, 2)}\n`,
    [files.boundary]: collectionText({ type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Polygon', coordinates: [boundaryRing] }, properties: { name: DISTRICT.name, nameEn: DISTRICT.nameEn } }] }),
    [files.streets]: collectionText({ type: 'FeatureCollection', features: areas.streets.map((s) => ({ type: 'Feature', geometry: s.geometry, properties: { code: s.code, name: streetNames.get(s.code)!, nameEn: seedByCode.get(s.code)!.nameEn } })) }),
    [files.communities]: collectionText({ type: 'FeatureCollection', features: areas.communities.map((c) => ({ type: 'Feature', geometry: c.geometry, properties: { code: c.code, name: communityNames.get(c.code)!, streetCode: c.streetCode } })) }),
    [files.grids]: collectionText({ type: 'FeatureCollection', features: areas.grids.map((g) => ({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [gridPolygon(g)] }, properties: { id: g.id, streetCode: g.streetCode, communityCode: g.communityCode } })) }),
    [files.roads]: collectionText({ type: 'FeatureCollection', features: net.roads.map((r) => ({ type: 'Feature', geometry: { type: 'LineString', coordinates: r.nodes.map((n) => net.nodes[n]!) }, properties: { id: r.id, name: r.name, class: r.class } })) }),
    [files.roadGraph]: `{"nodes":${JSON.stringify(net.nodes)},\n"edges":[\n${net.edges.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`,
    [files.water]: collectionText({ type: 'FeatureCollection', features: [...WATER, ...WATER_PATHS].map(areaFeature) }),
    [files.parks]: collectionText({ type: 'FeatureCollection', features: [...PARKS, ...PARK_PATHS].map(areaFeature) }),
    [files.landmarks]: collectionText({ type: 'FeatureCollection', features: LANDMARKS.map((l) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: roundLonLat(l.at) }, properties: { name: l.name, nameEn: l.nameEn, category: l.category } })) }),
    [files.toilets]: arrayText(placed.toilets),
    [files.bins]: arrayText(placed.bins),
    [files.staff]: arrayText(placed.staff),
    [files.vehicles]: arrayText(placed.vehicles),
    [files.muckTrucks]: arrayText(placed.muckTrucks),
    [files.taxonomy!]: `{"classes":${arrayText(taxonomy.classes).trimEnd()},\n"subclasses":${arrayText(taxonomy.subclasses ?? []).trimEnd()},\n"items":${arrayText(taxonomy.items).trimEnd()}}\n`,
    [files.organisations!]: arrayText(buildOrganisations(divisions.streets.map((s) => ({ code: s.code, name: streetNames.get(s.code)!, nameEn: seedByCode.get(s.code)!.nameEn })))),
    [files.calendar!]: `${JSON.stringify(calendar, null, 1)}\n`,
    [files.restrictedZones!]: collectionText(buildRestrictedZones()),
    [files.party!]: `{"branches":${arrayText(party.branches).trimEnd()},\n"members":${arrayText(party.members).trimEnd()},\n"posts":${arrayText(party.posts).trimEnd()}}\n`,
  };
  let bytes = 0;
  for (const [name, text] of Object.entries(texts)) {
    writeFileSync(join(OUT, name), text);
    bytes += statSync(join(OUT, name)).size;
  }

  // The pack must pass the same validation a deployment's pack does.
  const pack = await loadDistrictPack(OUT);
  const roadKm = net.edges.reduce((a, e) => a + e[2], 0) / 1000;
  const districtKm2 = multiPolygonAreaM2([[boundaryRing]]) / 1e6;
  const roles = (r: string): number => pack.staff.filter((s) => s.role === r).length;
  const inside = pack.landmarks.features.filter((f) => pointInRing(f.geometry.coordinates[0], f.geometry.coordinates[1], boundaryRing)).length;
  console.log(`district ${districtKm2.toFixed(1)} km², ${pack.streets.features.length} streets, ${pack.communities.features.length} communities, ${pack.grids.features.length} grids`);
  for (const s of areas.streets) console.log(`  ${s.code} ${streetNames.get(s.code)} ${s.areaKm2.toFixed(2)} km²`);
  console.log(`roads ${pack.roads.features.length} (${roadKm.toFixed(0)} km), graph ${pack.roadGraph.nodes.length} nodes / ${pack.roadGraph.edges.length} edges, ${components} component`);
  console.log(`water ${pack.water.features.length}, parks ${pack.parks.features.length}, landmarks ${pack.landmarks.features.length} (${inside} inside)`);
  console.log(`toilets ${pack.toilets.length}, bins ${pack.bins.length} (litter ${pack.bins.filter((b) => b.binType === 'litter').length}), staff ${pack.staff.length} (cleaners ${roles('cleaner')}, road chiefs ${roles('roadChief')}, enforcers ${roles('enforcer')}), vehicles ${pack.vehicles.length}, muck trucks ${pack.muckTrucks.length}`);
  const checklist = pack.taxonomy!.items.filter((i) => i.roadChecklist);
  const checklistGroups = new Set(checklist.map((i) => i.code.slice(0, 5))).size;
  if (checklist.length !== 142 || checklistGroups !== 20) throw new Error(`road chiefs' checklist has ${checklist.length} items in ${checklistGroups} classes, the brief's has 142 in 20`);
  // A permit never routes a truck through a zone it may not enter, or every trip would be a violation.
  const zones = new PolygonIndex(pack.restrictedZones!.features.map((f) => ({ id: f.properties.name, geometry: f.geometry })));
  for (const t of pack.muckTrucks) {
    const r = t.permit.route;
    for (let i = 1; i < r.length; i++) {
      for (let k = 0; k <= 20; k++) {
        const zone = zones.find(r[i - 1]![0] + ((r[i]![0] - r[i - 1]![0]) * k) / 20, r[i - 1]![1] + ((r[i]![1] - r[i - 1]![1]) * k) / 20);
        if (zone) throw new Error(`permit ${t.permit.id} of ${t.plate} routes through the restricted zone ${zone}`);
      }
    }
  }
  console.log(`taxonomy ${pack.taxonomy!.classes.length} classes, ${pack.taxonomy!.items.length} items (road checklist ${checklist.length} in ${checklistGroups} classes), organisations ${pack.organisations!.length}, calendar ${pack.calendar!.holidays.length} holidays / ${pack.calendar!.workdays.length} 调休 workdays, restricted zones ${pack.restrictedZones!.features.length}`);
  console.log(`party ${pack.party!.branches.length} grid branches, ${pack.party!.members.length} members among the staff, ${pack.party!.posts.length} pioneer posts`);
  console.log(`pack ${(bytes / 1024 / 1024).toFixed(2)} MB in ${OUT}`);
}

await main();
