/**
 * The road network: a warped lattice (~400 m) whose control lines follow the real
 * arterials, clipped to the boundary, thinned in the hills and parks, kept as one
 * connected graph. Each road feature is a run of lattice edges with one name.
 */
import type { LonLat } from '../../shared/geojson.ts';
import type { RoadClass } from '../../shared/district.ts';
import { distanceM, pointInRing } from '../../shared/geo.ts';
import {
  COLUMN_CONTROLS, MINOR_ROAD_NAMES, NAMED_ROADS, ROAD_SPACING_DEG, ROW_CONTROLS,
  type ControlLine,
} from './geography.ts';
import { interp, M_PER_DEG, Rng, round } from './util.ts';

export interface Road { id: string; name: string; class: RoadClass; nodes: number[] }
export interface RoadNet {
  nodes: LonLat[];
  edges: [number, number, number, string][];
  roads: Road[];
}

interface LatticeLine { at: (t: number) => number; control: boolean }

/** Interpolate lattice lines between consecutive control lines, with a gentle wobble on the others. */
function latticeLines(controls: ControlLine[], spacing: number, rng: Rng): LatticeLine[] {
  const lines: LatticeLine[] = [];
  for (let k = 0; k < controls.length - 1; k++) {
    const a = controls[k]!.knots;
    const b = controls[k + 1]!.knots;
    const mid = (a[0]![0] + a[a.length - 1]![0]) / 2;
    const n = Math.max(1, Math.round((interp(b, mid) - interp(a, mid)) / spacing));
    for (let s = 0; s < n; s++) {
      const f = s / n;
      if (s === 0) { lines.push({ at: (t) => interp(a, t), control: true }); continue; }
      const amp = spacing * rng.range(0.05, 0.14);
      const freq = rng.range(40, 110);
      const phase = rng.range(0, Math.PI * 2);
      lines.push({ at: (t) => interp(a, t) + (interp(b, t) - interp(a, t)) * f + amp * Math.sin(t * freq + phase), control: false });
    }
  }
  const last = controls[controls.length - 1]!.knots;
  lines.push({ at: (t) => interp(last, t), control: true });
  return lines;
}

/** Where the segment p→q first crosses the ring, as a fraction of p→q (null if it does not). */
function crossRing(p: LonLat, q: LonLat, ring: LonLat[]): number | null {
  let best: number | null = null;
  for (let k = 0; k < ring.length; k++) {
    const a = ring[k]!;
    const b = ring[(k + 1) % ring.length]!;
    const d = (q[0] - p[0]) * (b[1] - a[1]) - (q[1] - p[1]) * (b[0] - a[0]);
    if (d === 0) continue;
    const t = ((a[0] - p[0]) * (b[1] - a[1]) - (a[1] - p[1]) * (b[0] - a[0])) / d;
    const u = ((a[0] - p[0]) * (q[1] - p[1]) - (a[1] - p[1]) * (q[0] - p[0])) / d;
    if (t >= 0 && t <= 1 && u >= 0 && u <= 1 && (best === null || t < best)) best = t;
  }
  return best;
}

export interface RoadMasks {
  boundary: LonLat[];
  /** No road crosses these (lakes). */
  water: LonLat[][];
  /** Minor roads are left out of these (scenic mountains, squares). */
  closed: LonLat[][];
  /** Hills: minor roads are sparse. */
  isHill: (p: LonLat) => boolean;
}

const inAny = (p: LonLat, rings: LonLat[][]): boolean => rings.some((r) => pointInRing(p[0], p[1], r));

export function buildRoads(masks: RoadMasks, rng: Rng): RoadNet {
  const rows = latticeLines(ROW_CONTROLS, ROAD_SPACING_DEG.lat, rng);
  const cols = latticeLines(COLUMN_CONTROLS, ROAD_SPACING_DEG.lon, rng);
  const jitter = 35;
  const lattice: LonLat[][] = rows.map((row) => cols.map((col) => {
    let lon = col.at(36.65);
    let lat = row.at(lon);
    for (let it = 0; it < 12; it++) { lon = col.at(lat); lat = row.at(lon); }
    if (!row.control && !col.control) {
      lon += rng.range(-jitter, jitter) / M_PER_DEG[0];
      lat += rng.range(-jitter, jitter) / M_PER_DEG[1];
    }
    return [lon, lat] as LonLat;
  }));

  // Names for the stretches of lattice lines that carry real arterials.
  const rowName = rows.map(() => new Map<number, { name: string; class: RoadClass }>());
  const colName = cols.map(() => new Map<number, { name: string; class: RoadClass }>());
  for (const r of NAMED_ROADS) {
    const mid = (r.from + r.to) / 2;
    const lines = r.dir === 'ew' ? rows : cols;
    let best = 0;
    lines.forEach((l, k) => { if (Math.abs(l.at(mid) - r.at) < Math.abs(lines[best]!.at(mid) - r.at)) best = k; });
    if (r.dir === 'ew') {
      for (let c = 0; c < cols.length - 1; c++) {
        const m = (lattice[best]![c]![0] + lattice[best]![c + 1]![0]) / 2;
        if (m >= r.from && m <= r.to && !rowName[best]!.has(c)) rowName[best]!.set(c, { name: r.name, class: r.class });
      }
    } else {
      for (let q = 0; q < rows.length - 1; q++) {
        const m = (lattice[q]![best]![1] + lattice[q + 1]![best]![1]) / 2;
        if (m >= r.from && m <= r.to && !colName[best]!.has(q)) colName[best]!.set(q, { name: r.name, class: r.class });
      }
    }
  }

  // Candidate edges: [line key, index along the line, from, to, named?]
  interface Cand { line: string; k: number; p: LonLat; q: LonLat; pKey: string; qKey: string; named: { name: string; class: RoadClass } | undefined }
  const cands: Cand[] = [];
  rows.forEach((_, r) => {
    for (let c = 0; c < cols.length - 1; c++) {
      cands.push({ line: `r${r}`, k: c, p: lattice[r]![c]!, q: lattice[r]![c + 1]!, pKey: `${r},${c}`, qKey: `${r},${c + 1}`, named: rowName[r]!.get(c) });
    }
  });
  cols.forEach((_, c) => {
    for (let r = 0; r < rows.length - 1; r++) {
      cands.push({ line: `c${c}`, k: r, p: lattice[r]![c]!, q: lattice[r + 1]![c]!, pKey: `${r},${c}`, qKey: `${r + 1},${c}`, named: colName[c]!.get(r) });
    }
  });

  const nodeIndex = new Map<string, number>();
  const nodes: LonLat[] = [];
  const nodeId = (key: string, p: LonLat): number => {
    let id = nodeIndex.get(key);
    if (id === undefined) { id = nodes.length; nodes.push([round(p[0], 6), round(p[1], 6)]); nodeIndex.set(key, id); }
    return id;
  };
  interface Kept { line: string; k: number; a: number; b: number; named: Cand['named'] }
  let kept: Kept[] = [];
  for (const e of cands) {
    const mid: LonLat = [(e.p[0] + e.q[0]) / 2, (e.p[1] + e.q[1]) / 2];
    if (inAny(mid, masks.water) || inAny(e.p, masks.water) || inAny(e.q, masks.water)) continue;
    if (!e.named) {
      if (inAny(mid, masks.closed)) continue;
      if (masks.isHill(mid) ? rng.chance(0.5) : rng.chance(0.07)) continue;
    }
    const inP = pointInRing(e.p[0], e.p[1], masks.boundary);
    const inQ = pointInRing(e.q[0], e.q[1], masks.boundary);
    if (!inP && !inQ) continue;
    if (inP && inQ) { kept.push({ line: e.line, k: e.k, a: nodeId(e.pKey, e.p), b: nodeId(e.qKey, e.q), named: e.named }); continue; }
    // Crosses the boundary: stop the road a couple of metres inside.
    const [inside, outside, inKey] = inP ? [e.p, e.q, e.pKey] : [e.q, e.p, e.qKey];
    const t = crossRing(inside, outside, masks.boundary);
    if (t === null) continue;
    const len = distanceM(inside[0], inside[1], outside[0], outside[1]);
    const tt = Math.max(0, t - 3 / len);
    if (tt * len < 30) continue;
    const end: LonLat = [inside[0] + (outside[0] - inside[0]) * tt, inside[1] + (outside[1] - inside[1]) * tt];
    const a = nodeId(inKey, inside);
    const b = nodeId(`${e.line}:${e.k}:end`, end);
    kept.push(inP ? { line: e.line, k: e.k, a, b, named: e.named } : { line: e.line, k: e.k, a: b, b: a, named: e.named });
  }

  // Keep the largest connected component only.
  const parent = nodes.map((_, i) => i);
  const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]!]!; x = parent[x]!; } return x; };
  for (const e of kept) parent[find(e.a)] = find(e.b);
  const size = new Map<number, number>();
  for (const e of kept) size.set(find(e.a), (size.get(find(e.a)) ?? 0) + 1);
  const giant = [...size.entries()].sort((x, y) => y[1] - x[1])[0]![0];
  kept = kept.filter((e) => find(e.a) === giant);

  // Renumber nodes densely.
  const used = new Map<number, number>();
  const finalNodes: LonLat[] = [];
  const remap = (n: number): number => {
    let id = used.get(n);
    if (id === undefined) { id = finalNodes.length; finalNodes.push(nodes[n]!); used.set(n, id); }
    return id;
  };

  // Runs of consecutive edges along one lattice line with one name become one road.
  const byLine = new Map<string, Kept[]>();
  for (const e of kept) { const l = byLine.get(e.line) ?? []; l.push(e); byLine.set(e.line, l); }
  const minorNames = minorNamePool();
  const roads: Road[] = [];
  const edges: RoadNet['edges'] = [];
  const lineKeys = [...byLine.keys()].sort((x, y) => x[0]!.localeCompare(y[0]!) || Number(x.slice(1)) - Number(y.slice(1)));
  for (const key of lineKeys) {
    const list = byLine.get(key)!.sort((x, y) => x.k - y.k);
    let run: Kept[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const first = run[0]!;
      const chunks: Kept[][] = [];
      if (first.named) chunks.push(run);
      else for (let s = 0; s < run.length; s += 7) chunks.push(run.slice(s, s + 7));
      for (const chunk of chunks) {
        const id = `road-${String(roads.length + 1).padStart(4, '0')}`;
        const name = first.named?.name ?? minorNames.next(rng);
        const cls: RoadClass = first.named?.class ?? (chunk.length >= 5 && rng.chance(0.35) ? 'tertiary' : 'residential');
        const seq = [remap(chunk[0]!.a), ...chunk.map((e) => remap(e.b))];
        for (const e of chunk) {
          const [a, b] = [remap(e.a), remap(e.b)];
          const [pa, pb] = [finalNodes[a]!, finalNodes[b]!];
          edges.push([a, b, round(distanceM(pa[0], pa[1], pb[0], pb[1]), 1), id]);
        }
        roads.push({ id, name, class: cls, nodes: seq });
      }
      run = [];
    };
    for (const e of list) {
      const prev = run[run.length - 1];
      const contiguous = prev !== undefined && prev.k + 1 === e.k && prev.b === e.a && prev.named?.name === e.named?.name;
      if (!contiguous) flush();
      run.push(e);
    }
    flush();
  }
  return { nodes: finalNodes, edges, roads };
}

function minorNamePool(): { next: (rng: Rng) => string } {
  const heads = ['文', '华', '泉', '明', '历', '燕', '甸', '姚', '龙', '智', '舜', '荆', '青', '和', '兴', '安', '福', '康', '德', '锦'];
  const tails = ['苑路', '园街', '源路', '丰路', '安街', '泰路', '祥街', '盛路'];
  const generated = tails.flatMap((t) => heads.map((h) => `${h}${t}`));
  const names = [...MINOR_ROAD_NAMES, ...generated.filter((g) => !MINOR_ROAD_NAMES.includes(g))];
  let k = 0;
  return {
    next: () => {
      const name = names[k % names.length]!;
      const round = Math.floor(k / names.length);
      k++;
      return round === 0 ? name : `${name}${round + 1}`;
    },
  };
}

/** Adjacency for routing: per node, [neighbour, length, roadId]. */
export function adjacency(net: RoadNet): [number, number, string][][] {
  const adj: [number, number, string][][] = net.nodes.map(() => []);
  for (const [a, b, len, id] of net.edges) { adj[a]!.push([b, len, id]); adj[b]!.push([a, len, id]); }
  return adj;
}

/** Dijkstra; returns the node path from a to b (inclusive) with the road of each step. `cost` defaults to the length. */
export function shortestPath(
  adj: [number, number, string][][], a: number, b: number,
  cost: (lengthM: number, roadId: string) => number = (len) => len,
): { nodes: number[]; roads: string[] } | null {
  const dist = new Float64Array(adj.length).fill(Infinity);
  const prev = new Int32Array(adj.length).fill(-1);
  const prevRoad: string[] = new Array<string>(adj.length).fill('');
  const done = new Uint8Array(adj.length);
  dist[a] = 0;
  // A binary heap would be faster; the graph is small enough for a linear scan.
  for (;;) {
    let u = -1;
    let best = Infinity;
    for (let i = 0; i < adj.length; i++) if (!done[i] && dist[i]! < best) { best = dist[i]!; u = i; }
    if (u < 0) return null;
    if (u === b) break;
    done[u] = 1;
    for (const [v, len, road] of adj[u]!) {
      const d = dist[u]! + cost(len, road);
      if (d < dist[v]!) { dist[v] = d; prev[v] = u; prevRoad[v] = road; }
    }
  }
  const nodes: number[] = [];
  const roads: string[] = [];
  for (let v = b; v !== -1; v = prev[v]!) {
    nodes.unshift(v);
    if (v !== a) roads.unshift(prevRoad[v]!);
  }
  return { nodes, roads };
}

export function componentCount(nodeCount: number, edges: readonly [number, number, number, string][]): number {
  const parent = Array.from({ length: nodeCount }, (_, i) => i);
  const find = (x: number): number => { while (parent[x] !== x) { parent[x] = parent[parent[x]!]!; x = parent[x]!; } return x; };
  for (const [a, b] of edges) parent[find(a)] = find(b);
  return new Set(parent.map((_, i) => find(i))).size;
}
