/**
 * Road routes between two arbitrary points (a crew's position and a case), not just graph
 * nodes: each end is snapped onto its nearest road edge and the route enters and leaves the
 * graph at whichever end of those edges gives the shortest drive. Snapping to the nearest
 * node instead would make a unit drive past a case to the far corner and turn back, or set
 * off the wrong way along the road it stands on.
 */
import type { LonLat } from '../../shared/geojson.ts';
import type { RoadRouter } from '../district/routing.ts';
import { Route } from './movers.ts';

const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;

/** A point projected onto a road edge a–b. */
export interface EdgeSnap {
  a: number;
  b: number;
  /** The projection on the edge. */
  point: LonLat;
  /** Metres from the point to a and to b along the edge. */
  toA: number;
  toB: number;
}

/** Projects a point onto the nearest road edge (searching outwards from nearby nodes). */
export function snapToRoad(router: RoadRouter, lon: number, lat: number): EdgeSnap {
  let radius = 300;
  let nodes = router.nodesWithin(lon, lat, radius);
  while (nodes.length === 0 && radius < 10_000) {
    radius *= 2;
    nodes = router.nodesWithin(lon, lat, radius);
  }
  if (nodes.length === 0) {
    const n = router.nearestNode(lon, lat);
    return { a: n, b: n, point: router.nodeLonLat(n), toA: 0, toB: 0 };
  }
  const kx = M_PER_DEG_LAT * Math.cos((lat * Math.PI) / 180);
  let best: EdgeSnap | null = null;
  let bestD = Infinity;
  const seen = new Set<number>();
  for (const n of nodes) {
    for (const nb of router.neighbours(n)) {
      if (seen.has(nb.edge)) continue;
      seen.add(nb.edge);
      const [a, b] = router.edgeNodes(nb.edge);
      const [alon, alat] = router.nodeLonLat(a);
      const [blon, blat] = router.nodeLonLat(b);
      const ax = (alon - lon) * kx, ay = (alat - lat) * M_PER_DEG_LAT;
      const dx = (blon - alon) * kx, dy = (blat - alat) * M_PER_DEG_LAT;
      const len2 = dx * dx + dy * dy;
      const t = len2 > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / len2)) : 0;
      const d = Math.hypot(ax + t * dx, ay + t * dy);
      if (d < bestD) {
        bestD = d;
        const len = Math.sqrt(len2);
        best = { a, b, point: [alon + (blon - alon) * t, alat + (blat - alat) * t], toA: t * len, toB: (1 - t) * len };
      }
    }
  }
  return best ?? { a: nodes[0]!, b: nodes[0]!, point: router.nodeLonLat(nodes[0]!), toA: 0, toB: 0 };
}

/**
 * The road route from one point to another: onto the road, along the graph, off the road.
 * When the graph does not connect them the route crosses straight, like the other movers.
 */
export function roadRoute(router: RoadRouter, from: LonLat, to: LonLat): Route {
  const s = snapToRoad(router, from[0], from[1]);
  const t = snapToRoad(router, to[0], to[1]);
  const points: LonLat[] = [from, s.point];
  const sameEdge = (s.a === t.a && s.b === t.b) || (s.a === t.b && s.b === t.a);
  if (!sameEdge) {
    let best: { cost: number; nodes: LonLat[] } | null = null;
    for (const [sn, sm] of [[s.a, s.toA], [s.b, s.toB]] as const) {
      for (const [tn, tm] of [[t.a, t.toA], [t.b, t.toB]] as const) {
        const path = sn === tn ? { nodes: [sn], lengthM: 0 } : router.shortestPath(sn, tn);
        if (!path) continue;
        const cost = sm + path.lengthM + tm;
        if (!best || cost < best.cost) best = { cost, nodes: path.nodes.map((n) => router.nodeLonLat(n)) };
      }
    }
    if (best) points.push(...best.nodes);
  }
  points.push(t.point, to);
  const deduped = points.filter((p, i) => i === 0 || p[0] !== points[i - 1]![0] || p[1] !== points[i - 1]![1]);
  return new Route(deduped);
}
