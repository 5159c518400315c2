/** The wall's KPI cards, computed once on the server per tick and sent to every display. */
import { ENTITY_KINDS, type AnyEntity, type Connectivity, type EntityKind, type MuckViolation, type VehicleType } from './entities.ts';

export interface ConnectivityCounts { total: number; online: number; stale: number; offline: number }

export interface KpiSummary {
  /** ms since epoch when computed */
  ts: number;
  byKind: Record<EntityKind, ConnectivityCounts>;
  staffOnDuty: number;
  staffSos: number;
  vehiclesWorking: number;
  vehiclesByType: Record<VehicleType, { total: number; working: number }>;
  /** bins at or above 80 % */
  binsFull: number;
  /** bins at or above 95 % */
  binsOverflow: number;
  /** mean fill, percent */
  binsAvgFill: number;
  toiletsOpen: number;
  toiletsOdourAlarm: number;
  /** occupied stalls / stalls of open toilets, 0..1 */
  toiletOccupancy: number;
  /** loaded and moving (> 5 km/h) */
  muckLoadedOnRoad: number;
  muckMoving: number;
  muckViolations: Record<MuckViolation, number>;
}

const MOVING_KPH = 5;

function emptyCounts(): ConnectivityCounts {
  return { total: 0, online: 0, stale: 0, offline: 0 };
}

export function computeKpis(entities: Iterable<AnyEntity>, now: number): KpiSummary {
  const byKind = Object.fromEntries(ENTITY_KINDS.map((k) => [k, emptyCounts()])) as Record<EntityKind, ConnectivityCounts>;
  const k: KpiSummary = {
    ts: now,
    byKind,
    staffOnDuty: 0,
    staffSos: 0,
    vehiclesWorking: 0,
    vehiclesByType: {
      sweeper: { total: 0, working: 0 },
      washer: { total: 0, working: 0 },
      sprinkler: { total: 0, working: 0 },
      compactor: { total: 0, working: 0 },
    },
    binsFull: 0,
    binsOverflow: 0,
    binsAvgFill: 0,
    toiletsOpen: 0,
    toiletsOdourAlarm: 0,
    toiletOccupancy: 0,
    muckLoadedOnRoad: 0,
    muckMoving: 0,
    muckViolations: { offRoute: 0, lidOpen: 0, outsideHours: 0, speeding: 0, restrictedZone: 0 },
  };
  let fillSum = 0;
  let stalls = 0;
  let occupied = 0;
  for (const e of entities) {
    const counts = byKind[e.kind];
    counts.total++;
    counts[e.connectivity satisfies Connectivity]++;
    switch (e.kind) {
      case 'staff':
        if (e.attrs.onDuty) k.staffOnDuty++;
        if (e.status === 'sos') k.staffSos++;
        break;
      case 'vehicle': {
        // The ingest admits only the vocabulary's types; a summary never throws on one it does not know.
        const t = k.vehiclesByType[e.attrs.vehicleType] as { total: number; working: number } | undefined;
        if (t) t.total++;
        if (e.status === 'working') {
          if (t) t.working++;
          k.vehiclesWorking++;
        }
        break;
      }
      case 'muckTruck': {
        const moving = (e.pos?.speed ?? 0) > MOVING_KPH;
        if (moving) k.muckMoving++;
        if (moving && e.attrs.loaded) k.muckLoadedOnRoad++;
        for (const v of e.attrs.violations) if (v in k.muckViolations) k.muckViolations[v]++;
        break;
      }
      case 'toilet':
        if (e.attrs.open) {
          k.toiletsOpen++;
          stalls += e.attrs.stalls;
          occupied += e.attrs.occupied;
        }
        if (e.attrs.odourAlarm) k.toiletsOdourAlarm++;
        break;
      case 'bin':
        fillSum += e.attrs.fill;
        if (e.status === 'full' || e.status === 'overflow') k.binsFull++;
        if (e.status === 'overflow') k.binsOverflow++;
        break;
    }
  }
  k.binsAvgFill = byKind.bin.total ? Math.round((fillSum / byKind.bin.total) * 10) / 10 : 0;
  k.toiletOccupancy = stalls ? occupied / stalls : 0;
  return k;
}
