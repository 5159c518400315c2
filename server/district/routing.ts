/**
 * Shortest paths and nearest-node look-ups over the district road graph (shared/district.ts).
 * Used by the simulator for movement (by length) and by dispatch for road ETAs (by a per-edge
 * travel-time cost, with one-way roads: see server/district/travel-time.ts).
 *
 * Coordinates are projected once onto a local equirectangular plane (metres), which is
 * accurate to well under 1 % across a district, so look-ups need no trigonometry.
 */
import type { RoadGraph } from '../../shared/district.ts';
import type { LonLat } from '../../shared/geojson.ts';
import { NodeHeap } from './node-heap.ts';

export interface RoadPath {
  /** Node indices from `from` to `to`, both included. */
  nodes: number[];
  /** Edge indices, one fewer than nodes; edges[i] joins nodes[i] and nodes[i + 1]. */
  edges: number[];
  lengthM: number;
  /** The path's search cost (e.g. travel seconds) when the router routes by a per-edge cost; absent when it routes by length. */
  cost?: number;
}

/** A search start with a cost already spent on the way to it (e.g. the off-road leg to the nearest node). */
export interface RoadSource {
  node: number;
  cost: number;
}

export interface RoadNeighbour {
  node: number;
  edge: number;
  lengthM: number;
}

export interface RoadRouterOptions {
  /** Side of a spatial bucket, metres. */
  cellM?: number;
  /** Search cost per edge (e.g. travel seconds), finite and ≥ 0; default: the edge's length. */
  edgeCost?: ArrayLike<number>;
  /** Per edge: true when it may be travelled only from its first node to its second (a one-way road). */
  oneway?: ArrayLike<boolean>;
}

const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;

const NO_HEURISTIC = (): number => 0;

export class RoadRouter {
  readonly nodeCount: number;
  readonly edgeCount: number;

  private readonly lon: Float64Array;
  private readonly lat: Float64Array;
  /** Projected coordinates, metres from the graph's south-west corner. */
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly mPerDegLon: number;
  private readonly lon0: number;
  private readonly lat0: number;

  private readonly edgeFrom: Int32Array;
  private readonly edgeTo: Int32Array;
  private readonly edgeLen: Float64Array;
  /** What searches minimise: the length, or the per-edge cost given at construction. */
  private readonly edgeCost: Float64Array;
  private readonly hasCost: boolean;
  private readonly oneway: Uint8Array;
  private readonly edgeRoad: string[];
  private readonly roadEdges = new Map<string, number[]>();

  /** Outgoing adjacency in compressed rows: where one can go from n is adjNode[adjStart[n] .. adjStart[n + 1]). */
  private readonly out: Adjacency;
  /** Incoming adjacency (where one can come to n from), for searches run backwards from a destination; `out` when no edge is one-way. */
  private readonly into: Adjacency;

  private readonly cellM: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly cellStart: Int32Array;
  private readonly cellNodes: Int32Array;

  /** Scales the straight-line heuristic so that it never overestimates an edge length. */
  private readonly heuristicScale: number;

  // Search scratch, reused across calls: an entry counts only when its seen/done mark equals searchId.
  private readonly gScore: Float64Array;
  private readonly prevEdge: Int32Array;
  private readonly seen: Uint32Array;
  private readonly done: Uint32Array;
  private searchId = 0;
  private readonly heap = new NodeHeap();

  constructor(graph: RoadGraph, opts: RoadRouterOptions = {}) {
    const n = graph.nodes.length;
    const m = graph.edges.length;
    this.nodeCount = n;
    this.edgeCount = m;
    this.lon = new Float64Array(n);
    this.lat = new Float64Array(n);
    let minLon = Infinity, minLat = Infinity, maxLon = -Infinity, maxLat = -Infinity;
    for (let i = 0; i < n; i++) {
      const [lo, la] = graph.nodes[i]!;
      this.lon[i] = lo;
      this.lat[i] = la;
      if (lo < minLon) minLon = lo;
      if (lo > maxLon) maxLon = lo;
      if (la < minLat) minLat = la;
      if (la > maxLat) maxLat = la;
    }
    if (n === 0) { minLon = maxLon = minLat = maxLat = 0; }
    this.lon0 = minLon;
    this.lat0 = minLat;
    this.mPerDegLon = M_PER_DEG_LAT * Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.x[i] = (this.lon[i]! - minLon) * this.mPerDegLon;
      this.y[i] = (this.lat[i]! - minLat) * M_PER_DEG_LAT;
    }

    this.edgeFrom = new Int32Array(m);
    this.edgeTo = new Int32Array(m);
    this.edgeLen = new Float64Array(m);
    this.edgeRoad = new Array<string>(m);
    this.edgeCost = new Float64Array(m);
    this.hasCost = opts.edgeCost !== undefined;
    if (opts.edgeCost && opts.edgeCost.length !== m) throw new RangeError(`edgeCost has ${opts.edgeCost.length} entries for ${m} edges`);
    if (opts.oneway && opts.oneway.length !== m) throw new RangeError(`oneway has ${opts.oneway.length} entries for ${m} edges`);
    const oneway = opts.oneway;
    this.oneway = new Uint8Array(m);
    if (oneway) for (let e = 0; e < m; e++) this.oneway[e] = oneway[e] ? 1 : 0;
    let scale = Infinity;
    for (let e = 0; e < m; e++) {
      const [a, b, len, road] = graph.edges[e]!;
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || a >= n || b < 0 || b >= n) throw new RangeError(`road graph edge ${e} refers to a missing node`);
      if (!(len >= 0 && Number.isFinite(len))) throw new RangeError(`road graph edge ${e} has length ${len}; lengths must be finite and ≥ 0`);
      this.edgeFrom[e] = a;
      this.edgeTo[e] = b;
      this.edgeLen[e] = len;
      this.edgeRoad[e] = road;
      const cost = opts.edgeCost ? opts.edgeCost[e]! : len;
      if (!(cost >= 0 && Number.isFinite(cost))) throw new RangeError(`road graph edge ${e} has cost ${cost}; costs must be finite and ≥ 0`);
      this.edgeCost[e] = cost;
      let list = this.roadEdges.get(road);
      if (!list) this.roadEdges.set(road, (list = []));
      list.push(e);
      const straight = Math.hypot(this.x[a]! - this.x[b]!, this.y[a]! - this.y[b]!);
      // The least cost per straight metre of any edge: cost of any path ≥ straight distance × this
      // (triangle inequality), so the A* heuristic stays admissible for lengths and times alike —
      // for travel times it is at least straight distance / the fastest speed.
      if (straight > 0 && cost / straight < scale) scale = cost / straight;
    }
    // 0.995 absorbs the projection's distortion across the district.
    this.heuristicScale = Number.isFinite(scale) ? (this.hasCost ? scale : Math.min(1, scale)) * 0.995 : 0;

    this.out = buildAdjacency(n, this.edgeFrom, this.edgeTo, oneway, false);
    this.into = oneway && Array.prototype.some.call(oneway, Boolean) ? buildAdjacency(n, this.edgeFrom, this.edgeTo, oneway, true) : this.out;

    this.cellM = opts.cellM ?? 250;
    const width = (maxLon - minLon) * this.mPerDegLon;
    const height = (maxLat - minLat) * M_PER_DEG_LAT;
    this.cols = Math.max(1, Math.ceil(width / this.cellM) + 1);
    this.rows = Math.max(1, Math.ceil(height / this.cellM) + 1);
    const cellCount = new Int32Array(this.cols * this.rows + 1);
    const cellOf = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = this.cellIndex(this.x[i]!, this.y[i]!);
      cellOf[i] = c;
      cellCount[c + 1]!++;
    }
    for (let c = 0; c < this.cols * this.rows; c++) cellCount[c + 1]! += cellCount[c]!;
    this.cellStart = cellCount;
    this.cellNodes = new Int32Array(n);
    const cursor = cellCount.slice(0, this.cols * this.rows);
    for (let i = 0; i < n; i++) this.cellNodes[cursor[cellOf[i]!]!++] = i;

    this.gScore = new Float64Array(n);
    this.prevEdge = new Int32Array(n);
    this.seen = new Uint32Array(n);
    this.done = new Uint32Array(n);
  }

  nodeLonLat(node: number): LonLat {
    this.checkNode(node);
    return [this.lon[node]!, this.lat[node]!];
  }

  /** Where one can go from a node (a one-way edge only from its first node). */
  neighbours(node: number): RoadNeighbour[] {
    this.checkNode(node);
    const { start, node: to, edge } = this.out;
    const out: RoadNeighbour[] = [];
    for (let k = start[node]!; k < start[node + 1]!; k++) {
      const e = edge[k]!;
      out.push({ node: to[k]!, edge: e, lengthM: this.edgeLen[e]! });
    }
    return out;
  }

  degree(node: number): number {
    this.checkNode(node);
    return this.out.start[node + 1]! - this.out.start[node]!;
  }

  /** The search cost of an edge (its length unless the router was given costs). */
  edgeCostOf(edge: number): number {
    this.checkEdge(edge);
    return this.edgeCost[edge]!;
  }

  /** Whether an edge may be travelled only from its first node to its second. */
  edgeOneway(edge: number): boolean {
    this.checkEdge(edge);
    return this.oneway[edge] === 1;
  }

  /** Straight distance between two points, metres, on the router's local plane. */
  straightM(lon1: number, lat1: number, lon2: number, lat2: number): number {
    return Math.hypot((lon1 - lon2) * this.mPerDegLon, (lat1 - lat2) * M_PER_DEG_LAT);
  }

  edgeRoadId(edge: number): string {
    this.checkEdge(edge);
    return this.edgeRoad[edge]!;
  }

  edgeLengthM(edge: number): number {
    this.checkEdge(edge);
    return this.edgeLen[edge]!;
  }

  edgeNodes(edge: number): [number, number] {
    this.checkEdge(edge);
    return [this.edgeFrom[edge]!, this.edgeTo[edge]!];
  }

  /** Edge indices that belong to a road (empty when the graph has none). */
  edgesOfRoad(roadId: string): readonly number[] {
    return this.roadEdges.get(roadId) ?? [];
  }

  roadIds(): IterableIterator<string> {
    return this.roadEdges.keys();
  }

  /** The node closest to a point, or -1 when the graph is empty. */
  nearestNode(lon: number, lat: number): number {
    if (this.nodeCount === 0) return -1;
    const px = (lon - this.lon0) * this.mPerDegLon;
    const py = (lat - this.lat0) * M_PER_DEG_LAT;
    const cx = this.clampCol(px), cy = this.clampRow(py);
    let best = -1;
    let bestD2 = Infinity;
    const maxRing = Math.max(this.cols, this.rows);
    for (let r = 0; r <= maxRing; r++) {
      // Every cell on ring r is at least (r - 1) cells away from the point.
      const bound = (r - 1) * this.cellM;
      if (best >= 0 && bound > 0 && bound * bound > bestD2) break;
      for (let gy = cy - r; gy <= cy + r; gy++) {
        if (gy < 0 || gy >= this.rows) continue;
        const edgeRow = gy === cy - r || gy === cy + r;
        for (let gx = cx - r; gx <= cx + r; gx += edgeRow ? 1 : 2 * r) {
          if (gx >= 0 && gx < this.cols) {
            const c = gy * this.cols + gx;
            for (let k = this.cellStart[c]!; k < this.cellStart[c + 1]!; k++) {
              const i = this.cellNodes[k]!;
              const dx = this.x[i]! - px, dy = this.y[i]! - py;
              const d2 = dx * dx + dy * dy;
              if (d2 < bestD2 || (d2 === bestD2 && i < best)) { bestD2 = d2; best = i; }
            }
          }
          if (r === 0) break;
        }
      }
    }
    return best;
  }

  /** Nodes within radiusM of a point, in index order. */
  nodesWithin(lon: number, lat: number, radiusM: number): number[] {
    const px = (lon - this.lon0) * this.mPerDegLon;
    const py = (lat - this.lat0) * M_PER_DEG_LAT;
    const out: number[] = [];
    if (this.nodeCount === 0) return out;
    const x0 = this.clampCol(px - radiusM), x1 = this.clampCol(px + radiusM);
    const y0 = this.clampRow(py - radiusM), y1 = this.clampRow(py + radiusM);
    const r2 = radiusM * radiusM;
    for (let gy = y0; gy <= y1; gy++) {
      for (let gx = x0; gx <= x1; gx++) {
        const c = gy * this.cols + gx;
        for (let k = this.cellStart[c]!; k < this.cellStart[c + 1]!; k++) {
          const i = this.cellNodes[k]!;
          const dx = this.x[i]! - px, dy = this.y[i]! - py;
          if (dx * dx + dy * dy <= r2) out.push(i);
        }
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** A* over edge costs (lengths by default); null when `to` cannot be reached from `from`. */
  shortestPath(from: number, to: number): RoadPath | null {
    this.checkNode(from);
    this.checkNode(to);
    if (from === to) return this.hasCost ? { nodes: [from], edges: [], lengthM: 0, cost: 0 } : { nodes: [from], edges: [], lengthM: 0 };
    const { x, y } = this;
    const tx = x[to]!, ty = y[to]!;
    const scale = this.heuristicScale;
    const id = this.startSearch(from, Math.hypot(x[from]! - tx, y[from]! - ty) * scale);
    while (this.heap.size > 0) {
      const u = this.heap.pop();
      if (this.done[u] === id) continue;
      this.done[u] = id;
      if (u === to) return this.buildPath(from, to);
      this.relax(u, this.gScore[u]!, id, this.out, (v) => Math.hypot(x[v]! - tx, y[v]! - ty) * scale);
    }
    return null;
  }

  /**
   * One-to-many: shortest paths from one node to each target with a single Dijkstra search
   * (e.g. from an incident to every candidate unit, or from a depot to every road it works).
   * A target that cannot be reached, or only beyond maxCost (metres for a length router), gets null.
   */
  pathsFrom(from: number, targets: readonly number[], maxCost = Infinity): (RoadPath | null)[] {
    this.checkNode(from);
    const id = this.settle(from, targets, maxCost, this.out);
    return targets.map((t) => (this.done[t] === id ? this.buildPath(from, t) : null));
  }

  /**
   * Many-to-one: shortest paths from each source to one node, with a single Dijkstra search run
   * backwards from `to` over the incoming edges (so one-way roads are honoured in the direction
   * of travel): e.g. the road ETA of every candidate unit to one incident. Paths run source → to.
   */
  pathsTo(to: number, sources: readonly number[], maxCost = Infinity): (RoadPath | null)[] {
    this.checkNode(to);
    const id = this.settle(to, sources, maxCost, this.into);
    return sources.map((s) => (this.done[s] === id ? this.buildPathTowards(s, to) : null));
  }

  /**
   * Multi-source search: the least cost from any source (each with a cost already spent) to every
   * node, Infinity where none reaches within maxCost. E.g. how soon some unit can be at each crossing.
   */
  costsFrom(sources: readonly RoadSource[], maxCost = Infinity): Float64Array {
    const id = this.nextSearchId();
    this.heap.clear();
    for (const s of sources) {
      this.checkNode(s.node);
      if (!(s.cost >= 0) || s.cost > maxCost) continue;
      if (this.seen[s.node] === id && this.gScore[s.node]! <= s.cost) continue;
      this.seen[s.node] = id;
      this.gScore[s.node] = s.cost;
      this.prevEdge[s.node] = -1;
      this.heap.push(s.node, s.cost);
    }
    while (this.heap.size > 0) {
      const gu = this.heap.minKey;
      const u = this.heap.pop();
      if (this.done[u] === id) continue;
      if (gu > maxCost) break;
      this.done[u] = id;
      this.relax(u, gu, id, this.out, NO_HEURISTIC);
    }
    const costs = new Float64Array(this.nodeCount).fill(Infinity);
    for (let i = 0; i < this.nodeCount; i++) if (this.done[i] === id) costs[i] = this.gScore[i]!;
    return costs;
  }

  /** The path's polyline as [lon, lat] pairs. */
  pathLonLats(path: RoadPath): LonLat[] {
    return path.nodes.map((n) => this.nodeLonLat(n));
  }

  /** Plain Dijkstra from `origin` over `adj` until every wanted node is settled or costs pass maxCost; returns the search id. */
  private settle(origin: number, wanted: readonly number[], maxCost: number, adj: Adjacency): number {
    for (const t of wanted) this.checkNode(t);
    const pendingSet = new Set(wanted);
    let pending = pendingSet.size;
    const id = this.startSearch(origin, 0);
    while (this.heap.size > 0 && pending > 0) {
      const gu = this.heap.minKey;
      const u = this.heap.pop();
      if (this.done[u] === id) continue;
      if (gu > maxCost) break;
      this.done[u] = id;
      if (pendingSet.has(u)) pending--;
      this.relax(u, gu, id, adj, NO_HEURISTIC);
    }
    return id;
  }

  /** A new search from `from`: fresh marks, an empty heap holding only `from`. */
  private startSearch(from: number, fromKey: number): number {
    const id = this.nextSearchId();
    this.heap.clear();
    this.seen[from] = id;
    this.gScore[from] = 0;
    this.prevEdge[from] = -1;
    this.heap.push(from, fromKey);
    return id;
  }

  /** Offers u's neighbours in `adj` a path through u (at cost gu); a heap key is cost + heuristic. */
  private relax(u: number, gu: number, id: number, adj: Adjacency, heuristic: (v: number) => number): void {
    const { gScore, prevEdge, seen, done, edgeCost } = this;
    const { start, node: adjNode, edge: adjEdge } = adj;
    for (let k = start[u]!, end = start[u + 1]!; k < end; k++) {
      const v = adjNode[k]!;
      if (done[v] === id) continue;
      const e = adjEdge[k]!;
      const g = gu + edgeCost[e]!;
      if (seen[v] !== id || g < gScore[v]!) {
        seen[v] = id;
        gScore[v] = g;
        prevEdge[v] = e;
        this.heap.push(v, g + heuristic(v));
      }
    }
  }

  private buildPath(from: number, to: number): RoadPath {
    const nodes: number[] = [to];
    const edges: number[] = [];
    let cur = to;
    while (cur !== from) {
      const e = this.prevEdge[cur]!;
      edges.push(e);
      cur = this.edgeFrom[e] === cur ? this.edgeTo[e]! : this.edgeFrom[e]!;
      nodes.push(cur);
    }
    nodes.reverse();
    edges.reverse();
    return this.pathOf(nodes, edges);
  }

  /** After a backward search from `to`: each node's prevEdge leads one step closer to `to`. */
  private buildPathTowards(from: number, to: number): RoadPath {
    const nodes: number[] = [from];
    const edges: number[] = [];
    let cur = from;
    while (cur !== to) {
      const e = this.prevEdge[cur]!;
      edges.push(e);
      cur = this.edgeFrom[e] === cur ? this.edgeTo[e]! : this.edgeFrom[e]!;
      nodes.push(cur);
    }
    return this.pathOf(nodes, edges);
  }

  private pathOf(nodes: number[], edges: number[]): RoadPath {
    let lengthM = 0;
    let cost = 0;
    for (const e of edges) {
      lengthM += this.edgeLen[e]!;
      cost += this.edgeCost[e]!;
    }
    return this.hasCost ? { nodes, edges, lengthM, cost } : { nodes, edges, lengthM };
  }

  private nextSearchId(): number {
    if (this.searchId === 0xffffffff) {
      this.seen.fill(0);
      this.done.fill(0);
      this.searchId = 0;
    }
    return ++this.searchId;
  }

  private cellIndex(x: number, y: number): number {
    return this.clampRow(y) * this.cols + this.clampCol(x);
  }

  private clampCol(x: number): number {
    return Math.min(this.cols - 1, Math.max(0, Math.floor(x / this.cellM)));
  }

  private clampRow(y: number): number {
    return Math.min(this.rows - 1, Math.max(0, Math.floor(y / this.cellM)));
  }

  private checkNode(node: number): void {
    if (!Number.isInteger(node) || node < 0 || node >= this.nodeCount) throw new RangeError(`no road node ${node}`);
  }

  private checkEdge(edge: number): void {
    if (!Number.isInteger(edge) || edge < 0 || edge >= this.edgeCount) throw new RangeError(`no road edge ${edge}`);
  }
}

interface Adjacency {
  start: Int32Array;
  node: Int32Array;
  edge: Int32Array;
}

/**
 * Compressed adjacency rows. Outgoing (`incoming` false): a → b for every edge, b → a unless it is
 * one-way. Incoming: for each node, the neighbours one can arrive from.
 */
function buildAdjacency(n: number, from: Int32Array, to: Int32Array, oneway: ArrayLike<boolean> | undefined, incoming: boolean): Adjacency {
  const m = from.length;
  const degree = new Int32Array(n);
  // Outgoing: a one-way edge a → b leaves a only; incoming: it arrives at b only.
  const forwardOnly = (e: number) => Boolean(oneway?.[e]);
  for (let e = 0; e < m; e++) {
    if (forwardOnly(e)) degree[incoming ? to[e]! : from[e]!]!++;
    else { degree[from[e]!]!++; degree[to[e]!]!++; }
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + degree[i]!;
  const node = new Int32Array(start[n]!);
  const edge = new Int32Array(start[n]!);
  const fill = start.slice(0, n);
  const put = (at: number, other: number, e: number) => { node[fill[at]!] = other; edge[fill[at]!] = e; fill[at]!++; };
  for (let e = 0; e < m; e++) {
    const a = from[e]!, b = to[e]!;
    if (!forwardOnly(e)) { put(a, b, e); put(b, a, e); }
    else if (incoming) put(b, a, e);
    else put(a, b, e);
  }
  return { start, node, edge };
}
