import { describe, expect, it } from 'vitest';
import { buildTravelRouters, type ModeProfile } from '../../server/district/travel-time.ts';
import { recommendUnits, type Candidate, type RecommendSettings } from '../../server/dispatch/recommend.ts';
import { computeCoverage } from '../../server/dispatch/coverage.ts';
import { UnitIndex } from '../../server/dispatch/unit-index.ts';
import type { RoadGraph, RoadProps } from '../../shared/district.ts';
import type { FeatureCollection, LineStringGeometry } from '../../shared/geojson.ts';

/** Vehicles: trunk 10 m/s, residential 5 m/s, off road 1 m/s. Staff: 2 m/s on any road, 1 m/s off road. */
const VEHICLE: ModeProfile = { speedsKph: { trunk: 36, primary: 36, secondary: 36, tertiary: 18, residential: 18 }, offRoadKph: 3.6, obeysOneway: true };
const STAFF: ModeProfile = { speedsKph: { trunk: 7.2, primary: 7.2, secondary: 7.2, tertiary: 7.2, residential: 7.2 }, offRoadKph: 3.6, obeysOneway: false };

function roads(props: RoadProps[]): FeatureCollection<LineStringGeometry, RoadProps> {
  return { type: 'FeatureCollection', features: props.map((p) => ({ type: 'Feature', properties: p, geometry: { type: 'LineString', coordinates: [[117, 36.6], [117.001, 36.6]] } })) };
}

/**
 * The case is at node 0. A trunk road runs 0 – 1 – 2 east (900 m a piece, 90 s each); node 3
 * lies north of 0, nearer by air, but its only road is a residential detour 3 – 4 – 0
 * (2000 m + 1000 m at 5 m/s = 600 s).
 */
const graph: RoadGraph = {
  nodes: [[117.0, 36.6], [117.01, 36.6], [117.02, 36.6], [117.0, 36.61], [116.99, 36.605]],
  edges: [[0, 1, 900, 'trunk'], [1, 2, 900, 'trunk'], [3, 4, 2000, 'lane'], [4, 0, 1000, 'lane']],
};
const packRoads = roads([{ id: 'trunk', name: 'Jingshi Rd', class: 'trunk' }, { id: 'lane', name: 'Lane', class: 'residential' }]);
const routers = buildTravelRouters({ roads: packRoads, roadGraph: graph }, { vehicle: VEHICLE, staff: STAFF });
const settings: RecommendSettings = { stalePositionS: 120, shortlist: 10, targetS: 420 };
const NOW = 1_000_000_000;

function unitAt(id: string, node: number, over: Partial<Candidate> = {}): Candidate {
  const [lon, lat] = graph.nodes[node]!;
  return { id, name: id, kind: 'vehicle', mode: 'vehicle', status: 'available', skills: ['collection'], gridId: 'g-east', orgCode: '370102001', pos: { lon, lat, ts: NOW - 10_000 }, ...over };
}

function recommend(units: Candidate[], skills: string[] = [], limit = 5) {
  const index = new UnitIndex(36.6);
  const byId = new Map(units.map((u) => [u.id, u]));
  for (const u of units) index.set(u.id, u.pos.lon, u.pos.lat);
  const [lon, lat] = graph.nodes[0]!;
  return recommendUnits({ routers, index, candidate: (id) => byId.get(id), now: () => NOW, settings },
    { lon, lat, gridId: 'g-case', streetCode: '370102001', skills }, limit);
}

describe('recommendation', () => {
  it('ranks by road ETA: the unit closest by road beats the one closest by air', () => {
    const { units } = recommend([unitAt('far-by-air', 2), unitAt('near-by-air', 3)]);
    expect(units.map((u) => [u.entityId, u.etaS, u.roadDistanceM, u.rank])).toEqual([
      ['far-by-air', 180, 1800, 1],
      ['near-by-air', 600, 3000, 2],
    ]);
    expect(units[0]!.straightDistanceM).toBeGreaterThan(units[1]!.straightDistanceM);
    expect(units[0]!.reasons).toEqual(['closestByRoad', 'inStreet', 'within7Min']);
    expect(units[1]!.reasons).toEqual(['inStreet']);
    expect(units[0]!.route).toEqual([graph.nodes[2], graph.nodes[2], graph.nodes[1], graph.nodes[0], graph.nodes[0]]);
  });

  it('adds the off-road legs at the off-road speed', () => {
    // 0.001° of latitude south of node 1 ≈ 111.2 m off road at 1 m/s, then 90 s of trunk.
    const { units } = recommend([unitAt('offroad', 1, { pos: { lon: 117.01, lat: 36.599, ts: NOW } })]);
    expect(units[0]!.etaS).toBe(Math.round(111.195 + 90));
  });

  it('flags stale positions and ranks them after fresh ones, however close', () => {
    const { units } = recommend([unitAt('stale-near', 1, { pos: { lon: 117.01, lat: 36.6, ts: NOW - 600_000 } }), unitAt('fresh-far', 3)]);
    expect(units.map((u) => [u.entityId, u.stale, u.positionAgeS])).toEqual([['fresh-far', false, 10], ['stale-near', true, 600]]);
    expect(units[0]!.reasons).toContain('closestByRoad');
    expect(units[1]!.reasons).toEqual(['inStreet', 'within7Min', 'stalePosition']);
  });

  it('keeps only units with a skill the item needs, and only available or returning ones', () => {
    const { units, skillFallback } = recommend([
      unitAt('sweeper', 1, { skills: ['roadCleaning'] }),
      unitAt('compactor', 2),
      unitAt('busy-compactor', 1, { status: 'dispatched' }),
      unitAt('returning', 3, { status: 'returning', gridId: 'g-case' }),
    ], ['collection']);
    expect(skillFallback).toBe(false);
    expect(units.map((u) => u.entityId)).toEqual(['compactor', 'returning']);
    expect(units[1]!.reasons).toEqual(['inGrid', 'inStreet', 'rightSkills', 'returning']);
  });

  it('falls back to every available unit when none has the skill, and says so', () => {
    const { units, skillFallback } = recommend([unitAt('sweeper', 1, { skills: ['roadCleaning'] })], ['enforcement']);
    expect(skillFallback).toBe(true);
    expect(units.map((u) => [u.entityId, u.etaS])).toEqual([['sweeper', 90]]);
    expect(units[0]!.reasons).not.toContain('rightSkills');
  });

  it('routes staff with the staff speeds, and straight across when that is quicker', () => {
    const { units } = recommend([unitAt('walker', 1, { kind: 'staff', mode: 'staff' })]);
    expect(units[0]!.etaS).toBe(450);
    // 0.006° (667.2 m) north of the case, nearest to node 3: 667 s straight on foot beats
    // 445 m to node 3 and the 3000 m lane round (445 + 1500 s).
    const near = recommend([unitAt('across', 0, { kind: 'staff', mode: 'staff', pos: { lon: 117.0, lat: 36.606, ts: NOW } })]).units[0]!;
    expect(near.etaS).toBe(667);
    expect(near.route).toEqual([[117.0, 36.606], graph.nodes[0]]);
  });
});

describe('7-minute coverage', () => {
  /** A line 0 – 1 – 2, 1000 m a piece of residential road (200 s by vehicle, 500 s on foot). */
  const line: RoadGraph = { nodes: [[117.0, 36.6], [117.01, 36.6], [117.02, 36.6]], edges: [[0, 1, 1000, 'a'], [1, 2, 1000, 'b']] };

  it('covers whole edges within the target and splits the edge where the reach ends', () => {
    const r = buildTravelRouters({ roads: roads([{ id: 'a', name: 'A', class: 'residential' }, { id: 'b', name: 'B', class: 'residential' }]), roadGraph: line }, { vehicle: VEHICLE, staff: STAFF });
    const cov = computeCoverage(r, [{ mode: 'vehicle', lon: 117.0, lat: 36.6 }], 300, NOW);
    // 0 – 1 in 200 s; of 1 – 2 the first (300 − 200) / 200 = half.
    expect(cov.coveredKm).toBeCloseTo(1.5, 9);
    expect(cov.totalKm).toBe(2);
    expect(cov.coveredShare).toBeCloseTo(0.75, 9);
    expect(cov.covered).toEqual([[[117.0, 36.6], [117.01, 36.6]], [[117.01, 36.6], [117.015, 36.6]]]);
    expect(cov.gaps).toEqual([[[117.015, 36.6], [117.02, 36.6]]]);
  });

  it('reaches a one-way edge only from its first node, except on foot', () => {
    // Edge 1 – 2 is one-way from 2 to 1: the vehicle at 0 reaches node 1 but may not enter it.
    const oneway: RoadGraph = { ...line, edges: [[0, 1, 1000, 'a'], [2, 1, 1000, 'b']] };
    const r = buildTravelRouters({ roads: roads([{ id: 'a', name: 'A', class: 'residential' }, { id: 'b', name: 'B', class: 'residential', oneway: true }]), roadGraph: oneway }, { vehicle: VEHICLE, staff: STAFF });
    expect(computeCoverage(r, [{ mode: 'vehicle', lon: 117.0, lat: 36.6 }], 300, NOW).coveredKm).toBeCloseTo(1, 9);
    // A walker at 2 covers 300 s × 2 m/s = 600 m of it, from node 2.
    const both = computeCoverage(r, [{ mode: 'vehicle', lon: 117.0, lat: 36.6 }, { mode: 'staff', lon: 117.02, lat: 36.6 }], 300, NOW);
    expect(both.coveredKm).toBeCloseTo(1.6, 9);
    expect(both.unitsConsidered).toBe(2);
    expect(both.gaps).toEqual([[[117.014, 36.6], [117.01, 36.6]]]);
  });
});
