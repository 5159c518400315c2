import { describe, it, expect } from 'vitest';
import { RoadRouter } from '../../server/district/routing.ts';
import type { RoadGraph } from '../../shared/district.ts';
import type { LonLat } from '../../shared/geojson.ts';
import { distanceM } from '../../shared/geo.ts';
import { Rng } from '../../server/sim/rng.ts';

/** A random road network: points in a small box, each joined to a few close neighbours. */
function randomGraph(seed: number, n: number, pieces = 1): RoadGraph {
  const rng = new Rng(seed);
  const nodes: LonLat[] = [];
  for (let i = 0; i < n; i++) {
    const piece = i % pieces;
    nodes.push([117.0 + piece * 0.2 + rng.next() * 0.05, 36.6 + rng.next() * 0.05]);
  }
  const edges: RoadGraph['edges'] = [];
  for (let i = 0; i < n; i++) {
    const near = nodes
      .map((p, j) => ({ j, d: distanceM(nodes[i]![0], nodes[i]![1], p[0], p[1]) }))
      .filter(({ j }) => j !== i && j % pieces === i % pieces)
      .sort((a, b) => a.d - b.d)
      .slice(0, 3);
    // Real roads wind: a length at or above the straight line.
    for (const { j, d } of near) if (i < j) edges.push([i, j, d * (1 + rng.next() * 0.3), `road-${i % 7}`]);
  }
  return { nodes, edges };
}

/** Plain O(n²) Dijkstra, the reference. */
function referenceLength(g: RoadGraph, from: number, to: number): number | null {
  const dist = new Array<number>(g.nodes.length).fill(Infinity);
  const done = new Array<boolean>(g.nodes.length).fill(false);
  dist[from] = 0;
  for (;;) {
    let u = -1;
    for (let i = 0; i < dist.length; i++) if (!done[i] && dist[i]! < Infinity && (u < 0 || dist[i]! < dist[u]!)) u = i;
    if (u < 0) return null;
    if (u === to) return dist[u]!;
    done[u] = true;
    for (const [a, b, len] of g.edges) {
      if (a === u && dist[u]! + len < dist[b]!) dist[b] = dist[u]! + len;
      if (b === u && dist[u]! + len < dist[a]!) dist[a] = dist[u]! + len;
    }
  }
}

describe('RoadRouter', () => {
  // 0 —100— 1 —100— 2, plus a long detour 0 —50— 3 —400— 2 and an island 4 — 5.
  const small: RoadGraph = {
    nodes: [[117.0, 36.6], [117.001, 36.6], [117.002, 36.6], [117.001, 36.601], [117.5, 36.9], [117.501, 36.9]],
    edges: [[0, 1, 100, 'a'], [1, 2, 100, 'a'], [0, 3, 150, 'b'], [3, 2, 400, 'b'], [4, 5, 90, 'c']],
  };

  it('finds the shortest path with its nodes, edges and length', () => {
    const r = new RoadRouter(small);
    expect(r.shortestPath(0, 2)).toEqual({ nodes: [0, 1, 2], edges: [0, 1], lengthM: 200 });
    expect(r.shortestPath(2, 3)).toEqual({ nodes: [2, 1, 0, 3], edges: [1, 0, 2], lengthM: 350 });
    expect(r.shortestPath(1, 1)).toEqual({ nodes: [1], edges: [], lengthM: 0 });
  });

  it('returns null between parts of the graph that are not connected', () => {
    const r = new RoadRouter(small);
    expect(r.shortestPath(0, 5)).toBeNull();
    expect(r.shortestPath(4, 5)?.lengthM).toBe(90);
  });

  it('matches a reference Dijkstra on random networks, in both directions', () => {
    for (const seed of [1, 2, 3]) {
      const g = randomGraph(seed, 250, seed === 3 ? 2 : 1);
      const r = new RoadRouter(g);
      const rng = new Rng(seed, 9);
      for (let k = 0; k < 40; k++) {
        const a = rng.int(g.nodes.length), b = rng.int(g.nodes.length);
        const expected = referenceLength(g, a, b);
        const path = r.shortestPath(a, b);
        if (expected === null) {
          expect(path).toBeNull();
          continue;
        }
        expect(path).not.toBeNull();
        expect(path!.lengthM).toBeCloseTo(expected, 6);
        expect(r.shortestPath(b, a)!.lengthM).toBeCloseTo(expected, 6);
        // The path is a real walk over the edges it lists.
        expect(path!.nodes[0]).toBe(a);
        expect(path!.nodes.at(-1)).toBe(b);
        path!.edges.forEach((e, i) => {
          expect(r.edgeNodes(e).sort()).toEqual([path!.nodes[i]!, path!.nodes[i + 1]!].sort());
        });
      }
    }
  });

  it('stays exact when an edge is shorter than the straight line between its nodes', () => {
    const g: RoadGraph = {
      nodes: [[117.0, 36.6], [117.01, 36.6], [117.02, 36.6], [117.01, 36.61]],
      // 0–3–2 is a tunnel recorded shorter than the crow flies; A* must not miss it.
      edges: [[0, 1, 900, 'a'], [1, 2, 900, 'a'], [0, 3, 10, 't'], [3, 2, 10, 't']],
    };
    expect(new RoadRouter(g).shortestPath(0, 2)).toEqual({ nodes: [0, 3, 2], edges: [2, 3], lengthM: 20 });
  });

  it('finds the nearest node like a linear scan, also for points outside the network', () => {
    const g = randomGraph(7, 400);
    const r = new RoadRouter(g, { cellM: 150 });
    const rng = new Rng(11);
    for (let k = 0; k < 300; k++) {
      const lon = 116.98 + rng.next() * 0.09, lat = 36.58 + rng.next() * 0.09;
      const kx = Math.cos((36.625 * Math.PI) / 180);
      let best = -1, bestD = Infinity;
      g.nodes.forEach(([x, y], i) => {
        const d = ((x - lon) * kx) ** 2 + (y - lat) ** 2;
        if (d < bestD) { bestD = d; best = i; }
      });
      const found = r.nearestNode(lon, lat);
      const [fx, fy] = r.nodeLonLat(found);
      // Same node, or one at the same distance (ties) within the projection's rounding.
      expect(distanceM(lon, lat, fx, fy)).toBeCloseTo(distanceM(lon, lat, g.nodes[best]![0], g.nodes[best]![1]), 3);
    }
    expect(new RoadRouter({ nodes: [], edges: [] }).nearestNode(117, 36)).toBe(-1);
  });

  it('lists neighbours, nodes within a radius and the edges of a road', () => {
    const r = new RoadRouter(small);
    expect(r.neighbours(0).map((n) => [n.node, n.edge, n.lengthM])).toEqual([[1, 0, 100], [3, 2, 150]]);
    expect(r.degree(1)).toBe(2);
    expect(r.nodeLonLat(3)).toEqual([117.001, 36.601]);
    expect(r.edgeRoadId(3)).toBe('b');
    expect(r.edgeLengthM(3)).toBe(400);
    expect(r.edgesOfRoad('a')).toEqual([0, 1]);
    expect(r.edgesOfRoad('nope')).toEqual([]);
    expect([...r.roadIds()].sort()).toEqual(['a', 'b', 'c']);
    // Node 1 is ~89 m east of node 0, node 3 ~140 m away.
    expect(r.nodesWithin(117.0, 36.6, 100)).toEqual([0, 1]);
    expect(r.nodesWithin(117.0, 36.6, 200)).toEqual([0, 1, 2, 3]);
    expect(() => r.nodeLonLat(99)).toThrow(RangeError);
    expect(() => new RoadRouter({ nodes: [[117, 36]], edges: [[0, 3, 1, 'x']] })).toThrow(RangeError);
  });

  it('answers one-to-many queries like the one-to-one search, within a length limit', () => {
    const g = randomGraph(4, 300, 2);
    const r = new RoadRouter(g);
    const targets = [0, 10, 11, 57, 120, 299, 10];
    const paths = r.pathsFrom(10, targets);
    targets.forEach((t, i) => {
      const single = r.shortestPath(10, t);
      if (single === null) expect(paths[i]).toBeNull();
      else expect(paths[i]!.lengthM).toBeCloseTo(single.lengthM, 6);
    });
    // Half the graph is another piece: unreachable targets are null.
    expect(paths[1]).toEqual({ nodes: [10], edges: [], lengthM: 0 });
    expect(paths[2]).toBeNull();
    const limited = r.pathsFrom(10, targets, 800);
    limited.forEach((p, i) => {
      const full = paths[i];
      if (full && full.lengthM <= 800) expect(p!.lengthM).toBeCloseTo(full.lengthM, 6);
      else expect(p).toBeNull();
    });
    expect(limited.some((p, i) => p === null && paths[i] !== null)).toBe(true);
  });

  it('answers repeated searches on the same router independently', () => {
    const g = randomGraph(5, 200);
    const r = new RoadRouter(g);
    const first = r.shortestPath(3, 150);
    for (let k = 0; k < 50; k++) r.shortestPath(k, 199 - k);
    expect(r.shortestPath(3, 150)).toEqual(first);
  });
});
