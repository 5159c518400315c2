/**
 * The 7-minute coverage layer: which parts of the road network some available unit can reach
 * within the target. One multi-source search per travel mode (each unit starts at its nearest
 * node, with its off-road leg already spent), then every edge is split where the reach ends:
 * from an end reached at time t, a share (T − t) / edge time of the edge is covered (from the
 * second end only on a two-way edge). The covered piece is cut out of the edge's straight line.
 */
import { AVAILABLE_STATUSES, type CoverageResult, type UnitStatus } from '../../shared/dispatch.ts';
import type { LonLat } from '../../shared/geojson.ts';
import type { RoadSource } from '../district/routing.ts';
import { UNIT_MODES, type TravelRouters, type UnitMode } from '../district/travel-time.ts';
import type { UnitBook } from './unit-book.ts';

const AVAILABLE: ReadonlySet<UnitStatus> = new Set(AVAILABLE_STATUSES);

export interface CoverageUnit {
  mode: UnitMode;
  lon: number;
  lat: number;
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

export function computeCoverage(routers: TravelRouters, units: readonly CoverageUnit[], targetS: number, now: number): CoverageResult {
  const any = routers.vehicle.router;
  const m = any.edgeCount;
  // Per edge: the share reached from its first node and from its second, best over all modes.
  const fromA = new Float64Array(m);
  const fromB = new Float64Array(m);
  for (const mode of UNIT_MODES) {
    const mine = units.filter((u) => u.mode === mode);
    if (mine.length === 0) continue;
    const { router, offRoadS } = routers[mode];
    const sources: RoadSource[] = [];
    for (const u of mine) {
      const node = router.nearestNode(u.lon, u.lat);
      if (node < 0) continue;
      const [lon, lat] = router.nodeLonLat(node);
      sources.push({ node, cost: offRoadS(router.straightM(u.lon, u.lat, lon, lat)) });
    }
    const reached = router.costsFrom(sources, targetS);
    for (let e = 0; e < m; e++) {
      const [a, b] = router.edgeNodes(e);
      const cost = router.edgeCostOf(e);
      fromA[e] = Math.max(fromA[e]!, reachShare(reached[a]!, cost, targetS));
      if (!router.edgeOneway(e)) fromB[e] = Math.max(fromB[e]!, reachShare(reached[b]!, cost, targetS));
    }
  }

  const covered: LonLat[][] = [];
  const gaps: LonLat[][] = [];
  let coveredM = 0, totalM = 0;
  for (let e = 0; e < m; e++) {
    const [a, b] = any.edgeNodes(e);
    const pa = any.nodeLonLat(a), pb = any.nodeLonLat(b);
    const len = any.edgeLengthM(e);
    const sa = fromA[e]!, sb = fromB[e]!;
    totalM += len;
    if (sa + sb >= 1) {
      coveredM += len;
      covered.push([pa, pb].map(roundPt));
      continue;
    }
    coveredM += (sa + sb) * len;
    if (sa > 0) covered.push([pa, lerp(pa, pb, sa)].map(roundPt));
    gaps.push([lerp(pa, pb, sa), lerp(pa, pb, 1 - sb)].map(roundPt));
    if (sb > 0) covered.push([lerp(pa, pb, 1 - sb), pb].map(roundPt));
  }
  return {
    computedTs: now,
    targetS,
    unitsConsidered: units.length,
    coveredShare: totalM > 0 ? coveredM / totalM : 0,
    coveredKm: coveredM / 1000,
    totalKm: totalM / 1000,
    covered,
    gaps,
  };
}

/** The share of an edge taking `cost` seconds that is reached within targetS from an end reached at `t`. */
function reachShare(t: number, cost: number, targetS: number): number {
  if (!(t <= targetS)) return 0;
  if (cost <= 0) return 1;
  return Math.min(1, (targetS - t) / cost);
}

function lerp(a: LonLat, b: LonLat, f: number): LonLat {
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
}

function roundPt(p: LonLat): LonLat {
  return [round6(p[0]), round6(p[1])];
}

/**
 * The coverage layer as served: recomputed on request only when some unit moved or changed
 * status since the last computation, and at most once per `everyMs` — never on the ingest path.
 */
export class CoverageCache {
  private last: CoverageResult | null = null;

  constructor(
    private readonly routers: TravelRouters,
    private readonly book: UnitBook,
    private readonly now: () => number,
    private readonly targetS: number,
    private readonly everyMs: number,
  ) {}

  current(): CoverageResult {
    const t = this.now();
    if (this.last && (!this.book.dirty || t - this.last.computedTs < this.everyMs)) return this.last;
    this.book.dirty = false;
    const units: CoverageUnit[] = [];
    for (const u of this.book.list()) {
      if (!AVAILABLE.has(u.status)) continue;
      const c = this.book.candidate(u.entityId);
      if (c) units.push({ mode: c.mode, lon: c.pos.lon, lat: c.pos.lat });
    }
    this.last = computeCoverage(this.routers, units, this.targetS, t);
    return this.last;
  }
}
