import { describe, expect, it } from 'vitest';
import { RoadRouter } from '../../server/district/routing.ts';
import { buildTravelRouter, parseSpeeds, type ModeProfile } from '../../server/district/travel-time.ts';
import type { RoadGraph, RoadProps } from '../../shared/district.ts';
import type { FeatureCollection, LineStringGeometry } from '../../shared/geojson.ts';
import { Rng } from '../../server/sim/rng.ts';

/** trunk 36 km/h = 10 m/s, residential 18 km/h = 5 m/s: costs are easy to do by hand. */
const PROFILE: ModeProfile = { speedsKph: { trunk: 36, primary: 36, secondary: 36, tertiary: 18, residential: 18 }, offRoadKph: 3.6, obeysOneway: true };

function roads(props: RoadProps[]): FeatureCollection<LineStringGeometry, RoadProps> {
  return { type: 'FeatureCollection', features: props.map((p) => ({ type: 'Feature', properties: p, geometry: { type: 'LineString', coordinates: [[117, 36.6], [117.001, 36.6]] } })) };
}

/**
 * A square 0 → 1 → 2 → 3 → 0, 100 m a side. 0 → 1 is a one-way trunk road (10 s); the other
 * sides are two-way residential (20 s each).
 */
const square: RoadGraph = {
  nodes: [[117.0, 36.6], [117.001, 36.6], [117.001, 36.601], [117.0, 36.601]],
  edges: [[0, 1, 100, 'ow'], [1, 2, 100, 'res'], [2, 3, 100, 'res'], [3, 0, 100, 'res']],
};
const squareRoads = roads([{ id: 'ow', name: 'One-way', class: 'trunk', oneway: true }, { id: 'res', name: 'Lane', class: 'residential' }]);

describe('travel-time routing', () => {
  const { router } = buildTravelRouter({ roads: squareRoads, roadGraph: square }, 'vehicle', PROFILE);

  it('routes by seconds and takes a one-way edge only from its first node', () => {
    expect(router.shortestPath(0, 1)).toEqual({ nodes: [0, 1], edges: [0], lengthM: 100, cost: 10 });
    // Against the one-way: round the other three sides, 300 m at 5 m/s.
    expect(router.shortestPath(1, 0)).toEqual({ nodes: [1, 2, 3, 0], edges: [1, 2, 3], lengthM: 300, cost: 60 });
    expect(router.pathsFrom(1, [0])[0]).toEqual({ nodes: [1, 2, 3, 0], edges: [1, 2, 3], lengthM: 300, cost: 60 });
  });

  it('searches backwards from a destination honouring the direction of travel', () => {
    const [from1, from2] = router.pathsTo(0, [1, 2]);
    expect(from1).toEqual({ nodes: [1, 2, 3, 0], edges: [1, 2, 3], lengthM: 300, cost: 60 });
    expect(from2).toEqual({ nodes: [2, 3, 0], edges: [2, 3], lengthM: 200, cost: 40 });
    const [from0, from3] = router.pathsTo(1, [0, 3]);
    expect(from0).toEqual({ nodes: [0, 1], edges: [0], lengthM: 100, cost: 10 });
    // 3 → 0 → 1 (20 + 10 s) beats 3 → 2 → 1 (40 s).
    expect(from3).toEqual({ nodes: [3, 0, 1], edges: [3, 0], lengthM: 200, cost: 30 });
    expect(router.pathsTo(1, [3], 25)).toEqual([null]);
  });

  it('finds the least time from several sources with a head start, up to a limit', () => {
    const costs = router.costsFrom([{ node: 2, cost: 5 }], 30);
    expect([...costs]).toEqual([Infinity, 25, 5, 25]);
    const two = router.costsFrom([{ node: 2, cost: 5 }, { node: 3, cost: 0 }], 100);
    // 0 from 3: 20 s; 1 from 0 by the one-way: 30 s, from 2: 25 s.
    expect([...two]).toEqual([20, 25, 5, 0]);
  });

  it('a mode that does not obey one-way roads may go both ways', () => {
    const walk = buildTravelRouter({ roads: squareRoads, roadGraph: square }, 'staff', { ...PROFILE, obeysOneway: false }).router;
    expect(walk.shortestPath(1, 0)).toEqual({ nodes: [1, 0], edges: [0], lengthM: 100, cost: 10 });
  });

  it('A* with time costs equals a plain Dijkstra on random one-way networks', () => {
    const rng = new Rng(7);
    const n = 60;
    const nodes: RoadGraph['nodes'] = Array.from({ length: n }, () => [117 + rng.next() * 0.03, 36.6 + rng.next() * 0.03]);
    const edges: RoadGraph['edges'] = [];
    for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) {
      const j = Math.floor(rng.next() * n);
      if (j !== i) edges.push([i, j, 200 + rng.next() * 3000, `r${edges.length % 5}`]);
    }
    const props: RoadProps[] = ['trunk', 'primary', 'secondary', 'tertiary', 'residential'].map((c, i) => ({ id: `r${i}`, name: c, class: c as RoadProps['class'], oneway: i % 2 === 0 }));
    const profile: ModeProfile = { ...PROFILE, speedsKph: { trunk: 60, primary: 45, secondary: 30, tertiary: 20, residential: 12 } };
    const r = buildTravelRouter({ roads: roads(props), roadGraph: { nodes, edges } }, 'vehicle', profile).router;
    const speed = (roadId: string) => profile.speedsKph[props.find((p) => p.id === roadId)!.class] / 3.6;
    const reference = (from: number): number[] => {
      const dist = new Array<number>(n).fill(Infinity);
      const done = new Array<boolean>(n).fill(false);
      dist[from] = 0;
      for (;;) {
        let u = -1;
        for (let i = 0; i < n; i++) if (!done[i] && dist[i]! < Infinity && (u < 0 || dist[i]! < dist[u]!)) u = i;
        if (u < 0) return dist;
        done[u] = true;
        for (const [a, b, len, road] of edges) {
          const oneway = props.find((p) => p.id === road)!.oneway;
          const t = len / speed(road);
          if (a === u && dist[u]! + t < dist[b]!) dist[b] = dist[u]! + t;
          if (!oneway && b === u && dist[u]! + t < dist[a]!) dist[a] = dist[u]! + t;
        }
      }
    };
    let compared = 0;
    for (let from = 0; from < n; from += 7) {
      const ref = reference(from);
      for (let to = 0; to < n; to++) {
        const p = r.shortestPath(from, to);
        if (ref[to] === Infinity) expect(p).toBeNull();
        else { expect(p!.cost).toBeCloseTo(ref[to]!, 6); compared++; }
        const back = r.pathsTo(to, [from])[0];
        expect(back?.cost ?? Infinity).toBeCloseTo(ref[to]!, 6);
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('reads speeds per road class from configuration text and refuses bad ones', () => {
    expect(parseSpeeds('trunk:40,primary:35,secondary:30,tertiary:25,residential:15')).toEqual({ trunk: 40, primary: 35, secondary: 30, tertiary: 25, residential: 15 });
    expect(() => parseSpeeds('trunk:40')).toThrow(/missing for primary, secondary, tertiary, residential/);
    expect(() => parseSpeeds('motorway:90')).toThrow(/unknown road class "motorway"/);
    expect(() => parseSpeeds('trunk:0,primary:35,secondary:30,tertiary:25,residential:15')).toThrow(/> 0/);
  });

  it('refuses costs that do not fit the graph', () => {
    expect(() => new RoadRouter(square, { edgeCost: [1, 2] })).toThrow(/2 entries for 4 edges/);
    expect(() => new RoadRouter(square, { edgeCost: [1, 2, -1, 3] })).toThrow(/cost -1/);
  });
});
