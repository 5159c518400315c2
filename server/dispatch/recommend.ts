/**
 * The nearest available suitable units for a case: a straight-line shortlist from the spatial
 * index, ranked by road ETA — one backward search from the case per travel mode, over the
 * travel-time graph (one-way roads in the direction of travel) — plus the off-road legs at the
 * mode's off-road speed. Stale positions are flagged and ranked after fresh ones.
 */
import { AVAILABLE_STATUSES, type RecommendationReason, type UnitRecommendation, type UnitSkill, type UnitStatus } from '../../shared/dispatch.ts';
import type { LonLat } from '../../shared/geojson.ts';
import type { RoadPath } from '../district/routing.ts';
import type { TravelRouter, TravelRouters, UnitMode } from '../district/travel-time.ts';
import type { UnitIndex } from './unit-index.ts';

/** What the recommender needs to know of a unit. */
export interface Candidate {
  id: string;
  name: string;
  kind: 'staff' | 'vehicle';
  mode: UnitMode;
  status: UnitStatus;
  skills: readonly UnitSkill[];
  gridId: string;
  orgCode: string;
  pos: { lon: number; lat: number; ts: number };
}

export interface RecommendTarget {
  lon: number;
  lat: number;
  gridId: string | null;
  streetCode: string;
  /** Skills the case's taxonomy item asks for (none: any unit suits). */
  skills: readonly string[];
}

export interface RecommendSettings {
  /** A position older than this is stale, seconds. */
  stalePositionS: number;
  /** How many units the straight-line shortlist hands to the road search. */
  shortlist: number;
  /** The arrival target (7123: 7 minutes), seconds. */
  targetS: number;
}

export interface RecommendDeps {
  routers: TravelRouters;
  index: UnitIndex;
  candidate: (id: string) => Candidate | undefined;
  now: () => number;
  settings: RecommendSettings;
}

export interface RecommendResult {
  units: UnitRecommendation[];
  /** No available unit had a skill the item asks for, so every available unit was considered. */
  skillFallback: boolean;
}

const AVAILABLE: ReadonlySet<UnitStatus> = new Set(AVAILABLE_STATUSES);

export function recommendUnits(deps: RecommendDeps, target: RecommendTarget, limit: number): RecommendResult {
  const { index, candidate, settings } = deps;
  const wanted = new Set(target.skills);
  const available = (id: string) => { const c = candidate(id); return c !== undefined && AVAILABLE.has(c.status); };
  const suits = (id: string) => available(id) && candidate(id)!.skills.some((s) => wanted.has(s));
  const k = Math.max(limit, settings.shortlist);
  let skillFallback = false;
  let shortlist = wanted.size > 0 ? index.nearest(target.lon, target.lat, k, suits) : [];
  if (wanted.size === 0 || shortlist.length === 0) {
    skillFallback = wanted.size > 0;
    shortlist = index.nearest(target.lon, target.lat, k, available);
  }

  const now = deps.now();
  const ranked: UnitRecommendation[] = [];
  const byMode = new Map<UnitMode, { c: Candidate; straightM: number }[]>();
  for (const hit of shortlist) {
    const c = candidate(hit.id)!;
    let list = byMode.get(c.mode);
    if (!list) byMode.set(c.mode, (list = []));
    list.push({ c, straightM: hit.straightM });
  }
  for (const [mode, list] of byMode) {
    const travel = deps.routers[mode];
    const caseNode = travel.router.nearestNode(target.lon, target.lat);
    if (caseNode < 0) continue;
    const unitNodes = list.map(({ c }) => travel.router.nearestNode(c.pos.lon, c.pos.lat));
    const paths = travel.router.pathsTo(caseNode, unitNodes);
    list.forEach(({ c, straightM }, i) => {
      const eta = etaOf(travel, c.pos, target, straightM, paths[i] ?? null, unitNodes[i]!, caseNode);
      if (!eta) return;
      const positionAgeS = Math.max(0, (now - c.pos.ts) / 1000);
      ranked.push({
        entityId: c.id, name: c.name, kind: c.kind, status: c.status,
        etaS: eta.etaS, roadDistanceM: eta.roadDistanceM, straightDistanceM: Math.round(straightM),
        positionAgeS: Math.round(positionAgeS),
        stale: positionAgeS > settings.stalePositionS,
        reasons: reasonsFor(c, target, wanted, skillFallback),
        route: eta.route,
        rank: 0,
      });
    });
  }
  // Fresh before stale, then by ETA (unrounded order is kept by the stable sort on equal rounded ETAs).
  ranked.sort((a, b) => Number(a.stale) - Number(b.stale) || a.etaS - b.etaS || (a.entityId < b.entityId ? -1 : 1));
  const top = ranked.slice(0, limit);
  top.forEach((r, i) => {
    r.rank = i + 1;
    if (r.etaS <= settings.targetS) r.reasons.push('within7Min');
    if (r.stale) r.reasons.push('stalePosition');
  });
  const first = top[0];
  if (first && !first.stale) first.reasons.unshift('closestByRoad');
  return { units: top, skillFallback };
}

export interface UnitEta {
  etaS: number;
  roadDistanceM: number;
  route: LonLat[];
}

/**
 * A unit's ETA to a point given its road path (from the unit's nearest node to the point's): the
 * off-road legs at the mode's off-road speed plus the path's travel time. A unit right by the
 * point goes straight there when that is quicker than round by the nearest crossings.
 */
export function etaOf(travel: TravelRouter, from: { lon: number; lat: number }, to: { lon: number; lat: number }, straightM: number, path: RoadPath | null, fromNode: number, toNode: number): UnitEta | null {
  const { router, offRoadS } = travel;
  const direct = offRoadS(straightM);
  if (path) {
    const [fLon, fLat] = router.nodeLonLat(fromNode);
    const [tLon, tLat] = router.nodeLonLat(toNode);
    const legsM = router.straightM(from.lon, from.lat, fLon, fLat) + router.straightM(tLon, tLat, to.lon, to.lat);
    const byRoad = offRoadS(legsM) + path.cost!;
    if (byRoad <= direct) {
      return {
        etaS: Math.round(byRoad),
        roadDistanceM: Math.round(legsM + path.lengthM),
        route: [[from.lon, from.lat], ...router.pathLonLats(path), [to.lon, to.lat]],
      };
    }
  }
  if (!Number.isFinite(direct)) return null;
  return { etaS: Math.round(direct), roadDistanceM: Math.round(straightM), route: [[from.lon, from.lat], [to.lon, to.lat]] };
}

/** One unit's road ETA to a point (A* over the travel-time graph), for a dispatch outside the shortlist. */
export function routeUnit(travel: TravelRouter, from: { lon: number; lat: number }, to: { lon: number; lat: number }): UnitEta | null {
  const { router } = travel;
  const fromNode = router.nearestNode(from.lon, from.lat);
  const toNode = router.nearestNode(to.lon, to.lat);
  const straightM = router.straightM(from.lon, from.lat, to.lon, to.lat);
  const path = fromNode >= 0 && toNode >= 0 ? router.shortestPath(fromNode, toNode) : null;
  return etaOf(travel, from, to, straightM, path, fromNode, toNode);
}

function reasonsFor(c: Candidate, target: RecommendTarget, wanted: ReadonlySet<string>, skillFallback: boolean): RecommendationReason[] {
  const reasons: RecommendationReason[] = [];
  if (target.gridId !== null && c.gridId === target.gridId) reasons.push('inGrid');
  if (c.orgCode === target.streetCode) reasons.push('inStreet');
  if (!skillFallback && c.skills.some((s) => wanted.has(s))) reasons.push('rightSkills');
  if (c.status === 'returning') reasons.push('returning');
  return reasons;
}
