/**
 * The simulator's view of the district: the road router, cached routes between nodes,
 * and the anchor points (grid and street centres, road ends) agents are placed around.
 */
import type { DistrictPack, RoadClass } from '../../shared/district.ts';
import type { LonLat, MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import { PolygonIndex } from '../district/locator.ts';
import { RoadRouter } from '../district/routing.ts';
import { Route } from './movers.ts';

export interface RoadWalk {
  route: Route;
  start: number;
  end: number;
}

export class SimWorld {
  readonly router: RoadRouter;
  private readonly routes = new Map<string, Route>();
  private readonly gridCentres = new Map<string, LonLat>();
  private readonly streetCentres = new Map<string, LonLat>();
  private readonly roadClasses = new Map<string, RoadClass>();
  private readonly roadEndCache = new Map<string, [number, number] | null>();
  private readonly walks = new Map<string, RoadWalk | null>();
  readonly centre: LonLat;
  private streetIndex: PolygonIndex | undefined;

  constructor(readonly pack: DistrictPack) {
    this.router = new RoadRouter(pack.roadGraph);
    this.centre = pack.meta.center;
    for (const f of pack.grids.features) this.gridCentres.set(f.properties.id, centroid(f.geometry));
    for (const f of pack.streets.features) this.streetCentres.set(f.properties.code, centroid(f.geometry));
    for (const f of pack.roads.features) this.roadClasses.set(f.properties.id, f.properties.class);
  }

  gridCentre(gridId: string, streetCode?: string): LonLat {
    return this.gridCentres.get(gridId) ?? (streetCode ? this.streetCentre(streetCode) : this.centre);
  }

  streetCentre(code: string): LonLat {
    return this.streetCentres.get(code) ?? this.centre;
  }

  /** Whether a road node lies inside a street's area (built on first use). */
  nodeInStreet(node: number, code: string): boolean {
    this.streetIndex ??= new PolygonIndex(this.pack.streets.features.map((f) => ({ id: f.properties.code, geometry: f.geometry })), 0.01);
    const [lon, lat] = this.router.nodeLonLat(node);
    return this.streetIndex.find(lon, lat) === code;
  }

  roadClass(roadId: string | undefined): RoadClass | undefined {
    return roadId === undefined ? undefined : this.roadClasses.get(roadId);
  }

  nodeLonLat(node: number): LonLat {
    return this.router.nodeLonLat(node);
  }

  /**
   * The road route between two nodes, cached. When the graph does not connect them the
   * agent drives straight across, which keeps a broken pack visibly alive rather than frozen.
   */
  route(from: number, to: number): Route {
    const cached = this.routes.get(routeKey(from, to));
    if (cached) return cached;
    const path = this.router.shortestPath(from, to);
    const pts = path ? this.router.pathLonLats(path) : [this.router.nodeLonLat(from), this.router.nodeLonLat(to)];
    return this.store(from, to, new Route(pts));
  }

  private store(from: number, to: number, r: Route): Route {
    this.routes.set(routeKey(from, to), r);
    this.routes.set(routeKey(to, from), r.reversed());
    return r;
  }

  /** Computes (one search) and caches the routes between one node and many, in both directions. */
  prepareRoutes(from: number, targets: readonly number[]): void {
    const todo = [...new Set(targets)].filter((t) => t !== from && !this.routes.has(routeKey(from, t)));
    if (todo.length === 0) return;
    const paths = this.router.pathsFrom(from, todo);
    todo.forEach((t, i) => {
      const path = paths[i];
      if (path) this.store(from, t, new Route(this.router.pathLonLats(path)));
    });
  }

  /** A closed route through the given nodes in order and back to the first. */
  loop(nodes: readonly number[]): Route {
    const legs: Route[] = [];
    for (let i = 0; i < nodes.length; i++) legs.push(this.route(nodes[i]!, nodes[(i + 1) % nodes.length]!));
    return Route.concat(legs);
  }

  /** The two far ends of a road in the graph, or null when the graph has no edge of it. */
  roadEnds(roadId: string): [number, number] | null {
    if (this.roadEndCache.has(roadId)) return this.roadEndCache.get(roadId)!;
    const edges = this.router.edgesOfRoad(roadId);
    let ends: [number, number] | null = null;
    if (edges.length > 0) {
      const nodes = new Set<number>();
      for (const e of edges) for (const n of this.router.edgeNodes(e)) nodes.add(n);
      const list = [...nodes];
      const a = this.farthest(list[0]!, list);
      ends = [a, this.farthest(a, list)];
    }
    this.roadEndCache.set(roadId, ends);
    return ends;
  }

  /**
   * A drive along a road's own edges from one end: the road as a vehicle works it.
   * Follows the chain of the road's edges (a branch ends the walk); null when the graph has none.
   */
  roadWalk(roadId: string): RoadWalk | null {
    if (this.walks.has(roadId)) return this.walks.get(roadId)!;
    const ends = this.roadEnds(roadId);
    let walk: RoadWalk | null = null;
    if (ends) {
      const r = this.router;
      const inRoad = new Set(r.edgesOfRoad(roadId));
      const used = new Set<number>();
      const nodes = [ends[0]];
      for (;;) {
        const next = r.neighbours(nodes[nodes.length - 1]!).find((n) => inRoad.has(n.edge) && !used.has(n.edge));
        if (!next) break;
        used.add(next.edge);
        nodes.push(next.node);
      }
      if (nodes.length > 1) walk = { route: new Route(nodes.map((n) => r.nodeLonLat(n))), start: nodes[0]!, end: nodes[nodes.length - 1]! };
    }
    this.walks.set(roadId, walk);
    return walk;
  }

  /** The nodes of a road, in index order. */
  roadNodes(roadId: string): number[] {
    const nodes = new Set<number>();
    for (const e of this.router.edgesOfRoad(roadId)) for (const n of this.router.edgeNodes(e)) nodes.add(n);
    return [...nodes].sort((a, b) => a - b);
  }

  private farthest(from: number, among: readonly number[]): number {
    const [lo, la] = this.router.nodeLonLat(from);
    let best = from, bestD = -1;
    for (const n of among) {
      const [x, y] = this.router.nodeLonLat(n);
      const d = (x - lo) ** 2 + ((y - la) * 1.25) ** 2;
      if (d > bestD) { bestD = d; best = n; }
    }
    return best;
  }
}

function routeKey(from: number, to: number): string {
  return `${from}>${to}`;
}

/** Mean of the outer ring's vertices: close enough for a small convex-ish area. */
function centroid(g: PolygonGeometry | MultiPolygonGeometry): LonLat {
  const ring = g.type === 'Polygon' ? g.coordinates[0] : g.coordinates[0]?.[0];
  if (!ring || ring.length === 0) return [0, 0];
  let lon = 0, lat = 0;
  for (const [x, y] of ring) { lon += x; lat += y; }
  return [lon / ring.length, lat / ring.length];
}
