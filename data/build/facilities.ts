/** Toilets, bins, staff, sanitation vehicles and muck trucks placed on the road network. */
import type { LonLat } from '../../shared/geojson.ts';
import type {
  BinSite, FleetMuckTruck, FleetVehicle, MuckPermit, RoadClass, StaffMember, ToiletSite,
} from '../../shared/district.ts';
import type { StaffRole, ToiletClass, VehicleType } from '../../shared/entities.ts';
import { distanceM } from '../../shared/geo.ts';
import { GridIndex, type GridCell } from './areas.ts';
import {
  CENTRAL_STREETS, CONSTRUCTION_SITE_NAMES, DEPOTS, DISPOSAL_FIELDS, LANDMARKS, MUCK_COMPANIES,
} from './geography.ts';
import { adjacency, shortestPath, type RoadNet } from './roads.ts';
import { M_PER_DEG, Rng, round } from './util.ts';

export const TARGETS = { toilets: 200, litterBins: 2700, garbagePoints: 100, staff: 1500, roadChiefsPerStreet: 8, enforcersPerStreet: 12, muckTrucks: 120 };
export const VEHICLE_MIX: Record<VehicleType, number> = { sweeper: 95, washer: 45, sprinkler: 45, compactor: 65 };
const WORK_SPEED_KPH: Record<VehicleType, number> = { sweeper: 8, washer: 15, sprinkler: 15, compactor: 30 };
/** Among near-equal shortest paths, a permit keeps to the main roads (the lattice has many ties). */
const ROUTE_CLASS_PENALTY: Record<RoadClass, number> = { trunk: 1, primary: 1.01, secondary: 1.02, tertiary: 1.04, residential: 1.08 };
const CLASS_RANK: Record<RoadClass, number> = { trunk: 0, primary: 1, secondary: 2, tertiary: 3, residential: 4 };

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙马胡朱郭何罗高林郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰凤珍海波宁军庆东峰霞梅春云飞鹏辉彬斌亮晶琳颖婷雪晓鑫浩宇博文欣怡佳慧子轩涵晨阳瑞丹玲燕萍芬翠兵利忠德成林';

/** Chinese name: a common surname (weighted to the top of the list) and one or two given-name characters. */
export function personName(rng: Rng): string {
  const s = SURNAMES[Math.min(SURNAMES.length - 1, Math.floor(SURNAMES.length * rng.next() ** 2.2))]!;
  const g1 = rng.pick([...GIVEN]);
  return rng.chance(0.65) ? `${s}${g1}${rng.pick([...GIVEN])}` : `${s}${g1}`;
}

interface EdgeRef { a: LonLat; b: LonLat; len: number; roadId: string; class: RoadClass; name: string }

export interface Placed { toilets: ToiletSite[]; bins: BinSite[]; staff: StaffMember[]; vehicles: FleetVehicle[]; muckTrucks: FleetMuckTruck[] }

export function placeFacilities(net: RoadNet, grids: GridIndex, rng: Rng): Placed {
  const roadById = new Map(net.roads.map((r) => [r.id, r]));
  const edges: EdgeRef[] = net.edges.map(([a, b, len, roadId]) => {
    const road = roadById.get(roadId)!;
    return { a: net.nodes[a]!, b: net.nodes[b]!, len, roadId, class: road.class, name: road.name };
  });
  const gridAt = (p: LonLat): GridCell | null => grids.at(p[0], p[1]);
  /** A point along an edge, `offsetM` to one side; null when it falls outside the district's grids. */
  const alongEdge = (e: EdgeRef, t: number, offsetM: number): { p: LonLat; grid: GridCell } | null => {
    const dx = (e.b[0] - e.a[0]) * M_PER_DEG[0];
    const dy = (e.b[1] - e.a[1]) * M_PER_DEG[1];
    const norm = Math.hypot(dx, dy) || 1;
    const p = GridIndex.clearOfEdges([
      round(e.a[0] + (e.b[0] - e.a[0]) * t + ((-dy / norm) * offsetM) / M_PER_DEG[0], 6),
      round(e.a[1] + (e.b[1] - e.a[1]) * t + ((dx / norm) * offsetM) / M_PER_DEG[1], 6),
    ]);
    const grid = gridAt(p);
    return grid ? { p, grid } : null;
  };
  const streetWeight = (e: EdgeRef): number => {
    const g = gridAt(e.a) ?? gridAt(e.b);
    return g && CENTRAL_STREETS.has(g.streetCode) ? 3 : 1;
  };

  // 公共卫生间: first one by each landmark, then along roads, denser in the old city.
  const toilets: ToiletSite[] = [];
  const toiletWeights = edges.map((e) => e.len * streetWeight(e) * (CLASS_RANK[e.class] <= 2 ? 1.5 : 1));
  const namesUsed = new Map<string, number>();
  const addToilet = (base: string, p: LonLat, grid: GridCell, atLandmark = false): void => {
    const n = (namesUsed.get(base) ?? 0) + 1;
    namesUsed.set(base, n);
    const central = CENTRAL_STREETS.has(grid.streetCode);
    // Scenic spots and the old city get the better classes (GB/T 17217).
    const toiletClass: ToiletClass = atLandmark ? 'I' : rng.pick(central ? ['I', 'I', 'II', 'II', 'II', 'III'] as const : ['I', 'II', 'II', 'III', 'III', 'III'] as const);
    const stalls = toiletClass === 'I' ? rng.int(10, 20) : toiletClass === 'II' ? rng.int(6, 14) : rng.int(4, 8);
    toilets.push({
      id: `toilet-${String(toilets.length + 1).padStart(4, '0')}`,
      name: `${base}${n > 1 ? `${n}号` : ''}公厕`,
      lon: p[0], lat: p[1], streetCode: grid.streetCode, gridId: grid.id, toiletClass, stalls,
      hours: rng.chance(0.68) ? '00:00-24:00' : rng.chance(0.85) ? '06:00-22:00' : '05:30-23:00',
    });
  };
  for (const lm of LANDMARKS) {
    const p = GridIndex.clearOfEdges([round(lm.at[0] + 0.0006, 6), round(lm.at[1] - 0.0004, 6)]);
    const grid = gridAt(p);
    if (grid) addToilet(lm.name.replace(/（.*）/, ''), p, grid, true);
  }
  while (toilets.length < TARGETS.toilets) {
    const e = edges[rng.weighted(toiletWeights)]!;
    const hit = alongEdge(e, rng.range(0.2, 0.8), rng.pick([-1, 1]) * rng.range(12, 25));
    if (hit) addToilet(e.name, hit.p, hit.grid);
  }

  // 果皮箱 along every road at a fixed spacing, alternating sides; 垃圾桶 at collection points.
  const bins: BinSite[] = [];
  const totalLen = edges.reduce((a, e) => a + e.len, 0);
  const spacing = totalLen / TARGETS.litterBins;
  const binId = (): string => `bin-${String(bins.length + 1).padStart(5, '0')}`;
  let carry = spacing / 2;
  let side = 1;
  for (const e of edges) {
    for (let d = carry; d < e.len; d += spacing) {
      side = -side;
      const hit = alongEdge(e, d / e.len, side * rng.range(4, 8));
      if (hit) bins.push({ id: binId(), lon: hit.p[0], lat: hit.p[1], binType: 'litter', streetCode: hit.grid.streetCode, gridId: hit.grid.id, roadId: e.roadId, capacityL: rng.chance(0.8) ? 120 : 240 });
      carry = d + spacing - e.len;
    }
    if (carry < 0) carry = spacing / 2;
  }
  const minorEdges = edges.filter((e) => e.class === 'residential' || e.class === 'tertiary');
  for (let k = 0; k < TARGETS.garbagePoints;) {
    const e = rng.pick(minorEdges);
    const hit = alongEdge(e, rng.range(0.2, 0.8), rng.pick([-1, 1]) * rng.range(15, 22));
    if (!hit) continue;
    k++;
    const count = rng.int(2, 4);
    for (let c = 0; c < count; c++) {
      const p = GridIndex.clearOfEdges([round(hit.p[0] + (c * 1.5) / M_PER_DEG[0], 6), hit.p[1]]);
      const grid = gridAt(p) ?? hit.grid;
      bins.push({ id: binId(), lon: p[0], lat: p[1], binType: 'garbage', streetCode: grid.streetCode, gridId: grid.id, roadId: e.roadId, capacityL: rng.chance(0.7) ? 240 : 660 });
    }
  }

  // Staff: 路长 per street on its main roads, 执法队员, and 环卫工人 along roads.
  const shift = (): string => rng.pick(['05:00-13:00', '05:00-13:00', '05:00-13:00', '05:00-13:00', '13:00-21:00', '13:00-21:00', '13:00-21:00', '21:00-05:00']);
  const staff: StaffMember[] = [];
  const addStaff = (role: StaffRole, grid: GridCell, roadId: string | undefined, shiftText: string): void => {
    const member: StaffMember = { id: `staff-${String(staff.length + 1).padStart(4, '0')}`, name: personName(rng), role, streetCode: grid.streetCode, gridId: grid.id, shift: shiftText };
    if (roadId) member.roadId = roadId;
    staff.push(member);
  };
  const roadHome = new Map<string, GridCell>();
  for (const road of net.roads) {
    for (let k = 0; k < road.nodes.length; k++) {
      const n = road.nodes[(Math.floor(road.nodes.length / 2) + k) % road.nodes.length]!;
      const g = gridAt(net.nodes[n]!);
      if (g) { roadHome.set(road.id, g); break; }
    }
  }
  const roadLen = new Map<string, number>();
  for (const e of edges) roadLen.set(e.roadId, (roadLen.get(e.roadId) ?? 0) + e.len);
  const streetCodes = [...new Set(grids.cells.map((c) => c.streetCode))].sort();
  // Roads that pass through each street (a long road has a chief in every street it crosses).
  const roadStreets = new Map<string, Set<string>>();
  for (const road of net.roads) roadStreets.set(road.id, new Set(road.nodes.map((n) => gridAt(net.nodes[n]!)?.streetCode).filter((c): c is string => c !== undefined)));
  for (const code of streetCodes) {
    const own = net.roads.filter((r) => roadStreets.get(r.id)?.has(code))
      .sort((x, y) => CLASS_RANK[x.class] - CLASS_RANK[y.class] || (roadLen.get(y.id) ?? 0) - (roadLen.get(x.id) ?? 0));
    for (let k = 0; k < TARGETS.roadChiefsPerStreet && own.length > 0; k++) {
      const road = own[k % own.length]!;
      const home = road.nodes.map((n) => gridAt(net.nodes[n]!)).find((g) => g?.streetCode === code)!;
      addStaff('roadChief', home, road.id, '08:00-18:00');
    }
    const cells = grids.cells.filter((c) => c.streetCode === code);
    for (let k = 0; k < TARGETS.enforcersPerStreet; k++) addStaff('enforcer', rng.pick(cells), undefined, rng.chance(0.7) ? '08:00-17:00' : '17:00-23:00');
  }
  const cleanerWeights = edges.map((e) => e.len * (CLASS_RANK[e.class] <= 2 ? 1.6 : 1) * streetWeight(e));
  while (staff.length < TARGETS.staff) {
    const e = edges[rng.weighted(cleanerWeights)]!;
    const hit = alongEdge(e, 0.5, 0);
    if (hit) addStaff('cleaner', hit.grid, e.roadId, shift());
  }

  // Sanitation vehicles: a daily plan of adjacent roads from a start road.
  const roadsAtNode = new Map<number, string[]>();
  for (const r of net.roads) for (const n of r.nodes) roadsAtNode.set(n, [...(roadsAtNode.get(n) ?? []), r.id]);
  const neighbours = new Map<string, string[]>();
  for (const r of net.roads) neighbours.set(r.id, [...new Set(r.nodes.flatMap((n) => roadsAtNode.get(n) ?? []))].filter((id) => id !== r.id));
  const plates = new Set<string>();
  const plate = (): string => {
    for (;;) {
      const letter = rng.pick([...'ABCDEFGHJKLMNPQRSTUVWXYZ']);
      const p = `鲁A·${rng.chance(0.5) ? letter : rng.int(1, 9)}${String(rng.int(0, 9999)).padStart(4, '0')}`;
      if (!plates.has(p)) { plates.add(p); return p; }
    }
  };
  const vehicles: FleetVehicle[] = [];
  for (const [type, count] of Object.entries(VEHICLE_MIX) as [VehicleType, number][]) {
    const allowed = (c: RoadClass): boolean => (type === 'compactor' ? true : CLASS_RANK[c] <= 3);
    const pool = net.roads.filter((r) => allowed(r.class) && roadHome.has(r.id));
    const targetM = type === 'sweeper' ? 9000 : type === 'compactor' ? 12000 : 18000;
    for (let k = 0; k < count; k++) {
      const start = pool[rng.weighted(pool.map((r) => roadLen.get(r.id) ?? 0))]!;
      const plan = [start.id];
      let len = roadLen.get(start.id) ?? 0;
      const frontier = [start.id];
      while ((len < targetM || plan.length < 3) && frontier.length > 0 && plan.length < 12) {
        const cur = frontier.shift()!;
        for (const nb of neighbours.get(cur) ?? []) {
          const road = roadById.get(nb)!;
          if (plan.includes(nb) || !allowed(road.class) || (len >= targetM && plan.length >= 3) || plan.length >= 12) continue;
          plan.push(nb);
          frontier.push(nb);
          len += roadLen.get(nb) ?? 0;
        }
      }
      const home = roadHome.get(start.id)!;
      const depot = [...DEPOTS].sort((x, y) => distanceM(home.center[0], home.center[1], x[0], x[1]) - distanceM(home.center[0], home.center[1], y[0], y[1]))[0]!;
      vehicles.push({
        id: `veh-${String(vehicles.length + 1).padStart(3, '0')}`, plate: plate(), vehicleType: type,
        streetCode: home.streetCode, gridId: home.id, roadIds: plan, depot: [depot[0], depot[1]], workSpeedLimitKph: WORK_SPEED_KPH[type],
      });
    }
  }

  // Muck trucks: each carries a permit from a construction site to a 消纳场 along the shortest road path.
  const adj = adjacency(net);
  const nearestNode = (p: LonLat): number => {
    let best = 0;
    let bestD = Infinity;
    net.nodes.forEach((n, i) => { const d = distanceM(p[0], p[1], n[0], n[1]); if (d < bestD) { bestD = d; best = i; } });
    return best;
  };
  const nudge = (n: number, metres: number): LonLat => {
    const p = net.nodes[n]!;
    return GridIndex.clearOfEdges([round(p[0] + metres / M_PER_DEG[0], 6), round(p[1] + metres / M_PER_DEG[1], 6)]);
  };
  const disposals = DISPOSAL_FIELDS.map((d) => { const node = nearestNode(d.at); return { name: d.name, node, at: nudge(node, 35) }; });
  const sites: { name: string; node: number; at: LonLat; grid: GridCell }[] = [];
  for (const name of CONSTRUCTION_SITE_NAMES) {
    for (;;) {
      // Construction clusters in the developing east and south.
      const node = rng.int(0, net.nodes.length - 1);
      const p = net.nodes[node]!;
      if (p[0] < 117.05 && rng.chance(0.7)) continue;
      const at = nudge(node, -30);
      const grid = gridAt(at);
      if (grid) { sites.push({ name, node, at, grid }); break; }
    }
  }
  const routes = new Map<string, { nodes: number[]; roads: string[] }>();
  const muckTrucks: FleetMuckTruck[] = [];
  for (let k = 0; k < TARGETS.muckTrucks; k++) {
    const site = sites[k % sites.length]!;
    const disposal = [...disposals].sort((x, y) => distanceM(site.at[0], site.at[1], x.at[0], x.at[1]) - distanceM(site.at[0], site.at[1], y.at[0], y.at[1]))[rng.chance(0.75) ? 0 : 1]!;
    const key = `${site.node}>${disposal.node}`;
    let path = routes.get(key);
    if (!path) {
      path = shortestPath(adj, site.node, disposal.node, (len, road) => len * ROUTE_CLASS_PENALTY[roadById.get(road)!.class]) ?? undefined;
      if (!path || path.roads.length === 0) throw new Error(`no route from ${site.name} to ${disposal.name}`);
      routes.set(key, path);
    }
    const routeRoadIds = path.roads.filter((r, i) => i === 0 || path.roads[i - 1] !== r);
    const permit: MuckPermit = {
      id: `permit-${String(k + 1).padStart(3, '0')}`,
      site: { name: site.name, lon: site.at[0], lat: site.at[1] },
      disposal: { name: disposal.name, lon: disposal.at[0], lat: disposal.at[1] },
      routeRoadIds,
      route: [site.at, ...path.nodes.map((n) => net.nodes[n]!), disposal.at],
      // Most muck transport runs at night; key projects (重点工程) get daytime permits off the rush hours.
      hours: rng.chance(0.25) ? '09:00-16:30' : rng.chance(0.6) ? '22:00-05:00' : rng.chance(0.8) ? '20:00-06:00' : '21:00-05:30',
      corridorM: 50,
    };
    muckTrucks.push({
      id: `muck-${String(k + 1).padStart(3, '0')}`, plate: plate(), company: rng.pick(MUCK_COMPANIES),
      streetCode: site.grid.streetCode, gridId: site.grid.id, permit,
    });
  }
  return { toilets, bins, staff, vehicles, muckTrucks };
}
