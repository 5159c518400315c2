import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistrictPack } from '../../shared/district.ts';
import { pointInPolygon } from '../../shared/geo.ts';
import { DistrictPackError, districtGeometry, loadDistrictPack } from '../../server/district/load-pack.ts';

const LIXIA = fileURLToPath(new URL('../../data/lixia', import.meta.url));

const STREETS: [string, string, string][] = [
  ['370102001', '解放路街道', 'Jiefanglu'], ['370102002', '千佛山街道', 'Qianfoshan'], ['370102003', '趵突泉街道', 'Baotuquan'],
  ['370102004', '泉城路街道', 'Quanchenglu'], ['370102005', '大明湖街道', 'Daminghu'], ['370102006', '东关街道', 'Dongguan'],
  ['370102007', '文东街道', 'Wendong'], ['370102008', '建新街道', 'Jianxin'], ['370102009', '甸柳街道', 'Dianliu'],
  ['370102010', '燕山街道', 'Yanshan'], ['370102011', '姚家街道', 'Yaojia'], ['370102012', '龙洞街道', 'Longdong'],
  ['370102013', '智远街道', 'Zhiyuan'],
];

const within = (n: number, target: number, pct = 0.05): boolean => Math.abs(n - target) <= target * pct;

describe('the embedded Lixia district pack', () => {
  let pack: DistrictPack;
  beforeAll(async () => { pack = await loadDistrictPack(LIXIA); });

  it('describes Lixia in WGS-84 and says its geometry is approximate', () => {
    expect(pack.meta).toMatchObject({ id: 'lixia', name: '历下区', adcode: '370102', city: '济南市', crs: 'WGS84', timezone: 'Asia/Shanghai', approximate: true });
    const [w, s, e, n] = pack.meta.bbox;
    expect([w, s, e, n].map((v) => Math.round(v * 100) / 100)).toEqual([117, 36.59, 117.17, 36.71]);
  });

  it('has the 13 real streets, each with its real name, code and an English name', () => {
    const streets = pack.streets.features.map((f) => [f.properties.code, f.properties.name, f.properties.nameEn]);
    expect(streets).toEqual(STREETS);
  });

  it('has the 139 real communities, each under its street, each with at least one grid', () => {
    expect(pack.communities.features).toHaveLength(139);
    const gridsPer = new Map<string, number>();
    for (const g of pack.grids.features) gridsPer.set(g.properties.communityCode, (gridsPer.get(g.properties.communityCode) ?? 0) + 1);
    for (const c of pack.communities.features) {
      expect(c.properties.code).toMatch(/^\d{12}$/);
      expect(c.properties.code.startsWith(c.properties.streetCode)).toBe(true);
      expect(gridsPer.get(c.properties.code) ?? 0).toBeGreaterThan(0);
    }
    expect(pack.communities.features.find((c) => c.properties.code === '370102001002')?.properties.name).toBe('解放桥社区');
  });

  it('covers the district with ~220 m unit grids whose centres lie in their community', () => {
    expect(pack.grids.features.length).toBeGreaterThan(1600);
    expect(pack.grids.features.length).toBeLessThan(2500);
    const communities = new Map(pack.communities.features.map((f) => [f.properties.code, f.geometry]));
    let outside = 0;
    for (const g of pack.grids.features) {
      expect(g.properties.id).toMatch(new RegExp(`^${g.properties.communityCode}\\d{3}$`));
      const ring = g.geometry.coordinates[0]!;
      const cx = (ring[0]![0] + ring[2]![0]) / 2;
      const cy = (ring[0]![1] + ring[2]![1]) / 2;
      const geom = communities.get(g.properties.communityCode)!;
      const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates;
      if (!polys.some((p) => pointInPolygon(cx, cy, p))) outside++;
    }
    expect(outside).toBe(0);
  });

  it('has one connected road graph whose edges follow the road polylines', () => {
    const { nodes, edges } = pack.roadGraph;
    const parent = nodes.map((_, i) => i);
    const find = (x: number): number => (parent[x] === x ? x : (parent[x] = find(parent[x]!)));
    for (const [a, b] of edges) parent[find(a)] = find(b);
    expect(new Set(nodes.map((_, i) => find(i))).size).toBe(1);

    const key = (p: readonly number[]): string => `${p[0]},${p[1]}`;
    const steps = new Set<string>();
    for (const road of pack.roads.features) {
      const c = road.geometry.coordinates;
      for (let k = 1; k < c.length; k++) steps.add(`${road.properties.id}|${key(c[k - 1]!)}|${key(c[k]!)}`);
    }
    for (const [a, b, len, roadId] of edges) {
      expect(steps.has(`${roadId}|${key(nodes[a]!)}|${key(nodes[b]!)}`)).toBe(true);
      expect(len).toBeGreaterThan(0);
    }
    const names = new Set(pack.roads.features.map((f) => f.properties.name));
    for (const n of ['经十路', '泉城路', '解放路', '旅游路', '舜耕路', '马鞍山路', '龙奥南路', '龙奥北路', '历山路', '山大路', '二环东路', '花园路', '工业南路', '奥体中路', '凤山路']) {
      expect(names.has(n), n).toBe(true);
    }
  });

  it('places the water, parks and landmarks named in the brief', () => {
    expect(pack.water.features.map((f) => f.properties.name)).toContain('大明湖');
    expect(pack.parks.features.map((f) => f.properties.name)).toContain('千佛山风景区');
    const landmarks = pack.landmarks.features.map((f) => f.properties.name);
    for (const n of ['大明湖', '千佛山', '趵突泉', '泉城广场', '济南奥体中心', '龙奥大厦', '解放阁']) expect(landmarks).toContain(n);
  });

  it('has the facilities and fleet in the expected numbers', () => {
    expect(within(pack.toilets.length, 200)).toBe(true);
    expect(within(pack.bins.length, 3000)).toBe(true);
    expect(within(pack.staff.length, 1500)).toBe(true);
    expect(within(pack.vehicles.length, 250)).toBe(true);
    expect(within(pack.muckTrucks.length, 120)).toBe(true);
    const chiefs = pack.staff.filter((s) => s.role === 'roadChief');
    expect(new Set(chiefs.map((s) => s.streetCode)).size).toBe(13);
    expect(chiefs.every((s) => s.roadId !== undefined)).toBe(true);
    expect(pack.vehicles.find((v) => v.vehicleType === 'sweeper')?.workSpeedLimitKph).toBe(8);
  });

  it('files every toilet and bin under the grid that contains it', () => {
    const cells = new Map(pack.grids.features.map((f) => [f.properties.id, f.geometry.coordinates[0]!]));
    for (const site of [...pack.toilets, ...pack.bins]) {
      const ring = cells.get(site.gridId)!;
      expect(pointInPolygon(site.lon, site.lat, [ring]), site.id).toBe(true);
    }
  });

  it('gives every muck permit a route from its site to its disposal field', () => {
    for (const m of pack.muckTrucks) {
      const { permit } = m;
      expect(permit.routeRoadIds.length).toBeGreaterThan(0);
      expect(permit.route[0]).toEqual([permit.site.lon, permit.site.lat]);
      expect(permit.route[permit.route.length - 1]).toEqual([permit.disposal.lon, permit.disposal.lat]);
      expect(permit.corridorM).toBe(50);
    }
  });

  it('has the 部件/事件 taxonomy with the road chiefs\' checklist of 142 items in 20 classes', () => {
    const t = pack.taxonomy!;
    expect(t.classes.map((c) => `${c.category}:${c.name}`)).toEqual([
      'component:公用设施', 'component:道路交通', 'component:市容环境', 'component:园林绿化', 'component:房屋土地', 'component:其他',
      'event:市容环境', 'event:宣传广告', 'event:施工管理', 'event:街面秩序', 'event:突发事件', 'event:其他',
    ]);
    const checklist = t.items.filter((i) => i.roadChecklist);
    expect(checklist).toHaveLength(142);
    expect(new Set(checklist.map((i) => i.code.slice(0, 5))).size).toBe(20);
    expect(t.subclasses!.filter((s) => s.roadChecklist)).toHaveLength(20);
    const byName = (n: string) => t.items.find((i) => i.name === n)!;
    for (const n of ['井盖缺失或破损', '路面塌陷', '水管爆裂', '道路积水', '火灾', '人员求助']) expect(byName(n).emergency).toBe(true);
    expect(byName('垃圾满溢')).toMatchObject({ emergency: false, alarmTypes: ['binOverflow', 'binFull'], deptCode: '370102D01' });
    expect(byName('人员求助').alarmTypes).toEqual(['staffSos']);
    expect(byName('公厕异味').alarmTypes).toEqual(['toiletNh3', 'toiletH2s']);
  });

  it('has the 13 streets and 12 departments as organisations, the 2026 calendar and the restricted zones', () => {
    const orgs = pack.organisations!;
    expect(orgs.filter((o) => o.type === 'street').map((o) => [o.code, o.name])).toEqual(STREETS.map(([c, n]) => [c, n]));
    expect(orgs.filter((o) => o.type === 'department').map((o) => o.code)).toEqual(Array.from({ length: 12 }, (_, i) => `370102D${String(i + 1).padStart(2, '0')}`));
    // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; 6 weekend days worked (调休).
    expect(pack.calendar!.holidays).toHaveLength(33);
    expect(pack.calendar!.holidays).toContain('2026-02-23');
    expect(pack.calendar!.workdays).toEqual(['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10']);
    const zones = pack.restrictedZones!.features.map((f) => [f.properties.id, f.properties.kind]);
    expect(zones.filter(([, k]) => k === 'scenic').map(([id]) => id)).toEqual(['scenic-daminghu', 'scenic-baotuquan', 'scenic-qianfoshan']);
    const lake = pack.restrictedZones!.features[0]!.geometry;
    expect(lake.type === 'Polygon' && pointInPolygon(117.024, 36.6758, lake.coordinates)).toBe(true);
  });

  it('hands the client only the basemap parts', () => {
    expect(Object.keys(districtGeometry(pack)).sort()).toEqual(['boundary', 'communities', 'grids', 'landmarks', 'meta', 'parks', 'roads', 'streets', 'water']);
  });
});

describe('a broken district pack', () => {
  const dirs: string[] = [];
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  /** A copy of the Lixia pack with one file changed. */
  function corrupted(file: string, change: (json: any) => unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'district-pack-'));
    dirs.push(dir);
    cpSync(LIXIA, dir, { recursive: true });
    const path = join(dir, file);
    const next = change(JSON.parse(readFileSync(path, 'utf8')));
    writeFileSync(path, typeof next === 'string' ? next : JSON.stringify(next));
    return dir;
  }

  async function failure(dir: string): Promise<DistrictPackError> {
    const err = await loadDistrictPack(dir).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(DistrictPackError);
    return err as DistrictPackError;
  }

  it('names a missing file', async () => {
    const dir = corrupted('pack.json', (m) => m);
    unlinkSync(join(dir, 'streets.geojson'));
    const err = await failure(dir);
    expect(err.file).toBe('streets.geojson');
    expect(err.message).toMatch(/^streets\.geojson: file not found .*files\.streets/);
  });

  it('names a file that is not JSON', async () => {
    const err = await failure(corrupted('toilets.json', () => '[{"id": "toilet-0001",'));
    expect(err.message).toMatch(/^toilets\.json: invalid JSON/);
  });

  it('rejects an unsupported manifest version', async () => {
    const err = await failure(corrupted('pack.json', (m) => ({ ...m, formatVersion: 2 })));
    expect(err.message).toBe('pack.json: unsupported formatVersion 2 (this build reads 1)');
  });

  it('rejects a time zone that does not exist', async () => {
    const err = await failure(corrupted('pack.json', (m) => ({ ...m, meta: { ...m.meta, timezone: 'Asia/Jinan' } })));
    expect(err.file).toBe('pack.json');
    expect(err.message).toMatch(/meta\.timezone "Asia\/Jinan" is not an IANA time zone/);
  });

  it('names a street whose code is not 9 digits', async () => {
    const err = await failure(corrupted('streets.geojson', (fc) => { fc.features[3].properties.code = '37010204'; return fc; }));
    expect(err.feature).toBe('feature #3 (code 37010204)');
    expect(err.message).toBe('streets.geojson: feature #3 (code 37010204): street code "37010204" is not 9 digits');
  });

  it('names a community that is not under its street', async () => {
    const err = await failure(corrupted('communities.geojson', (fc) => { fc.features[0].properties.streetCode = '370102002'; return fc; }));
    expect(err.message).toMatch(/^communities\.geojson: feature #0 \(code 370102001\d{3}\): community code .* is not under its street 370102002$/);
  });

  it('names a grid whose id is not nested under its community', async () => {
    let id = '';
    const dir = corrupted('grids.geojson', (fc) => {
      const other = fc.features.find((f: any) => f.properties.communityCode !== fc.features[10].properties.communityCode);
      id = `${other.properties.communityCode}999`;
      fc.features[10].properties.id = id;
      return fc;
    });
    const err = await failure(dir);
    expect(err.message).toMatch(new RegExp(`^grids\\.geojson: feature #10 \\(id ${id}\\): grid id ${id} is not nested under its community \\d{12}$`));
  });

  it('names a road graph edge that points at a missing node', async () => {
    const err = await failure(corrupted('road-graph.json', (g) => { g.edges[5][1] = g.nodes.length + 7; return g; }));
    expect(err.message).toMatch(/^road-graph\.json: edge #5 \(road road-\d{4}\): references missing node \d+ \(graph has \d+ nodes\)$/);
  });

  it('names a road graph edge with a non-positive length', async () => {
    const err = await failure(corrupted('road-graph.json', (g) => { g.edges[2][2] = 0; return g; }));
    expect(err.message).toMatch(/^road-graph\.json: edge #2 \(road road-\d{4}\): length 0 must be a positive number of metres$/);
  });

  it('names a polygon whose ring is not closed', async () => {
    const err = await failure(corrupted('communities.geojson', (fc) => {
      const g = fc.features[2].geometry;
      (g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0][0]).pop();
      return fc;
    }));
    expect(err.message).toMatch(/^communities\.geojson: feature #2 \(code \d{12}\): polygon ring not closed/);
  });

  it('names a coordinate outside the district', async () => {
    const err = await failure(corrupted('landmarks.geojson', (fc) => { fc.features[1].geometry.coordinates = [36.64, 117.03]; return fc; }));
    expect(err.message).toMatch(/^landmarks\.geojson: feature #1 \(name 千佛山\): coordinate \[36\.64, 117\.03\] is outside the pack bbox/);
  });

  it('names a road of an unknown class and a geometry of the wrong type', async () => {
    const cls = await failure(corrupted('roads.geojson', (fc) => { fc.features[0].properties.class = 'motorway'; return fc; }));
    expect(cls.message).toMatch(/^roads\.geojson: feature #0 \(id road-0001\): road class "motorway" is not one of trunk, primary/);
    const type = await failure(corrupted('water.geojson', (fc) => { fc.features[0].geometry = { type: 'Point', coordinates: [117.02, 36.675] }; return fc; }));
    expect(type.message).toBe('water.geojson: feature #0 (name 大明湖): geometry type "Point" not allowed here (expected Polygon or MultiPolygon)');
  });

  it('names duplicate ids', async () => {
    const err = await failure(corrupted('toilets.json', (list) => { list[7].id = list[3].id; return list; }));
    expect(err.message).toBe('toilets.json: item #7 (id toilet-0004): duplicate id toilet-0004 (also item #3)');
  });

  it('names an entity that references an unknown road, grid or street', async () => {
    const road = await failure(corrupted('vehicles.json', (list) => { list[4].roadIds.push('road-9999'); return list; }));
    expect(road.message).toBe('vehicles.json: item #4 (id veh-005): roadIds references unknown road "road-9999"');
    const staff = await failure(corrupted('staff.json', (list) => { list[0].roadId = 'road-9999'; return list; }));
    expect(staff.message).toBe('staff.json: item #0 (id staff-0001): unknown roadId "road-9999"');
    const grid = await failure(corrupted('bins.json', (list) => { list[2].gridId = '370102999999001'; return list; }));
    expect(grid.message).toBe('bins.json: item #2 (id bin-00003): unknown gridId "370102999999001"');
    const street = await failure(corrupted('toilets.json', (list) => { list[0].streetCode = '370102099'; return list; }));
    expect(street.message).toBe('toilets.json: item #0 (id toilet-0001): unknown streetCode "370102099"');
  });

  it('names a muck permit without a route', async () => {
    const err = await failure(corrupted('muck-trucks.json', (list) => { list[9].permit.routeRoadIds = []; return list; }));
    expect(err.message).toBe('muck-trucks.json: item #9 (id muck-010): permit.routeRoadIds is empty: a permit needs a route');
  });

  it('names a taxonomy item with a bad difficulty, an unknown department, skill or alarm type', async () => {
    const diff = await failure(corrupted('taxonomy.json', (t) => { t.items[0].difficulty = 'medium'; return t; }));
    expect(diff.message).toBe('taxonomy.json: items item #0 (code 01.01.001): difficulty "medium" must be one of small, big, hard');
    const dept = await failure(corrupted('taxonomy.json', (t) => { t.items[3].deptCode = '370102D99'; return t; }));
    expect(dept.message).toBe('taxonomy.json: items item #3 (code 01.01.004): deptCode 370102D99 is not a department of the organisations');
    const skill = await failure(corrupted('taxonomy.json', (t) => { t.items[1].skills = ['flying']; return t; }));
    expect(skill.message).toMatch(/^taxonomy\.json: items item #1 \(code 01\.01\.002\): skill "flying" is not one of enforcement, cleaning/);
    const alarm = await failure(corrupted('taxonomy.json', (t) => { t.items[2].alarmTypes = ['binExploded']; return t; }));
    expect(alarm.message).toBe('taxonomy.json: items item #2 (code 01.01.003): alarm type "binExploded" is unknown');
    const cls = await failure(corrupted('taxonomy.json', (t) => { t.items[0].classCode = '77'; return t; }));
    expect(cls.message).toBe('taxonomy.json: items item #0 (code 01.01.001): unknown classCode "77"');
  });

  it('names an organisation of an unknown type, a duplicate code and a missing street', async () => {
    const type = await failure(corrupted('organisations.json', (list) => { list[13].type = 'bureau'; return list; }));
    expect(type.message).toBe('organisations.json: organisations item #13 (code 370102D01): type "bureau" must be "street" or "department"');
    const dup = await failure(corrupted('organisations.json', (list) => { list[14].code = list[13].code; return list; }));
    expect(dup.message).toBe('organisations.json: item #14 (code 370102D01): duplicate code 370102D01 (also item #13)');
    const missing = await failure(corrupted('organisations.json', (list) => list.slice(1)));
    expect(missing.message).toBe('organisations.json: street 370102001 of streets.geojson is missing (every street must be an organisation)');
  });

  it('names a calendar date that is not a date, or is listed twice', async () => {
    const bad = await failure(corrupted('calendar.json', (c) => { c.holidays[2] = '2026-02-30'; return c; }));
    expect(bad.message).toBe('calendar.json: holidays item #2: "2026-02-30" is not a YYYY-MM-DD date');
    const twice = await failure(corrupted('calendar.json', (c) => { c.workdays.push('2026-10-01'); return c; }));
    expect(twice.message).toBe('calendar.json: workdays item #6: 2026-10-01 is listed twice (also in holidays)');
  });

  it('names a restricted zone of an unknown kind', async () => {
    const err = await failure(corrupted('restricted-zones.geojson', (fc) => { fc.features[3].properties.kind = 'zoo'; return fc; }));
    expect(err.message).toBe('restricted-zones.geojson: feature #3 (id school-sdu): kind "zoo" is not one of scenic, school, hospital, residential, other');
  });
});
