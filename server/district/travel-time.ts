/**
 * Travel-time routing for dispatch: one router per unit mode over the same road graph, whose
 * edge costs are seconds by road class (the pack's roads) and which honours one-way roads
 * where a mode must. The simulator keeps its length router; these are for ETAs and coverage.
 */
import { ROAD_CLASSES, type DistrictPack, type RoadClass } from '../../shared/district.ts';
import { RoadRouter } from './routing.ts';

/** staff: on foot or e-bike (环卫工人, 路长, 执法队员) · vehicle: sanitation vehicles */
export const UNIT_MODES = ['staff', 'vehicle'] as const;
export type UnitMode = (typeof UNIT_MODES)[number];

export type SpeedsByClass = Record<RoadClass, number>;

export interface ModeProfile {
  /** Travel speed per road class, km/h. */
  speedsKph: SpeedsByClass;
  /** Speed of the leg between a position and the nearest graph node, km/h (off the road graph). */
  offRoadKph: number;
  /** Whether one-way roads bind this mode (staff on foot walk either pavement). */
  obeysOneway: boolean;
}

export type TravelProfiles = Record<UnitMode, ModeProfile>;

/** Urban speeds including junction delay; indicative defaults, configurable (DISPATCH_*_SPEEDS_KPH). */
export const DEFAULT_TRAVEL_PROFILES: TravelProfiles = {
  vehicle: { speedsKph: { trunk: 40, primary: 35, secondary: 30, tertiary: 25, residential: 15 }, offRoadKph: 10, obeysOneway: true },
  staff: { speedsKph: { trunk: 15, primary: 15, secondary: 15, tertiary: 12, residential: 10 }, offRoadKph: 5, obeysOneway: false },
};

/** A router whose costs are seconds, with the profile it was built for. */
export interface TravelRouter {
  mode: UnitMode;
  profile: ModeProfile;
  router: RoadRouter;
  /** Seconds for a straight off-road leg of `m` metres. */
  offRoadS(m: number): number;
}

export type TravelRouters = Record<UnitMode, TravelRouter>;

/** Parses "trunk:40,primary:35,…" (every class required), as the config gives it. */
export function parseSpeeds(text: string): SpeedsByClass {
  const out: Partial<SpeedsByClass> = {};
  for (const part of text.split(',')) {
    const [cls, v] = part.split(':').map((s) => s.trim());
    if (!(ROAD_CLASSES as readonly string[]).includes(cls ?? '')) throw new Error(`unknown road class ${JSON.stringify(cls)} (one of ${ROAD_CLASSES.join(', ')})`);
    const kph = Number(v);
    if (!(kph > 0 && kph <= 150)) throw new Error(`speed for ${cls} must be > 0 and ≤ 150 km/h, not ${JSON.stringify(v)}`);
    out[cls as RoadClass] = kph;
  }
  const missing = ROAD_CLASSES.filter((c) => out[c] === undefined);
  if (missing.length > 0) throw new Error(`speeds missing for ${missing.join(', ')}`);
  return out as SpeedsByClass;
}

/** The travel-time router of one mode over a pack's road graph. */
export function buildTravelRouter(pack: Pick<DistrictPack, 'roads' | 'roadGraph'>, mode: UnitMode, profile: ModeProfile): TravelRouter {
  const roads = new Map(pack.roads.features.map((f) => [f.properties.id, f.properties]));
  const edges = pack.roadGraph.edges;
  const cost = new Float64Array(edges.length);
  const oneway = new Array<boolean>(edges.length);
  for (let e = 0; e < edges.length; e++) {
    const [, , lengthM, roadId] = edges[e]!;
    const road = roads.get(roadId);
    const kph = profile.speedsKph[road?.class ?? 'residential'];
    cost[e] = lengthM / (kph / 3.6);
    oneway[e] = profile.obeysOneway && road?.oneway === true;
  }
  const router = new RoadRouter(pack.roadGraph, { edgeCost: cost, oneway });
  const offRoadMps = profile.offRoadKph / 3.6;
  return { mode, profile, router, offRoadS: (m) => m / offRoadMps };
}

export function buildTravelRouters(pack: Pick<DistrictPack, 'roads' | 'roadGraph'>, profiles: TravelProfiles = DEFAULT_TRAVEL_PROFILES): TravelRouters {
  return { staff: buildTravelRouter(pack, 'staff', profiles.staff), vehicle: buildTravelRouter(pack, 'vehicle', profiles.vehicle) };
}
