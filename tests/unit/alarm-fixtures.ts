/** A tiny district for the alarm rule tests: one grid, one road, one entity of each kind, hand-placed. */
import Database from 'better-sqlite3';
import { createAlarms, type AlarmsModule } from '../../server/alarms/alarms.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { entitiesFromPack } from '../../server/live/entities-from-pack.ts';
import { connectivityPolicy, LiveState, type LiveReport } from '../../server/live/live-state.ts';
import { DomainEvents } from '../../server/ops/domain-events.ts';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import type { DistrictPack } from '../../shared/district.ts';
import type { LonLat } from '../../shared/geojson.ts';

export const LON0 = 117.05, LAT0 = 36.65;
/** Metres per degree of latitude on the locator's sphere (6,371,008.8 m × π / 180). */
export const M_PER_DEG_LAT = 111_194.93;
/** A point `m` metres north of the permit line / road (which runs east along LAT0). */
export const northOf = (m: number): { lon: number; lat: number } => ({ lon: LON0 + 0.005, lat: LAT0 + m / M_PER_DEG_LAT });

/** 2026-01-15 10:00 in Jinan (02:00 UTC). */
export const T0 = Date.UTC(2026, 0, 15, 2, 0, 0);
export const MIN = 60_000;

const square = (w: number, s: number, e: number, n: number): LonLat[][] => [[[w, s], [e, s], [e, n], [w, n], [w, s]]];

export function tinyPack(opts: { muckHours?: string; zones?: boolean } = {}): DistrictPack {
  const line: LonLat[] = [[LON0, LAT0], [LON0 + 0.01, LAT0]];
  const empty = { type: 'FeatureCollection' as const, features: [] };
  return {
    meta: {
      id: 't', name: '测试', nameEn: 'Test', city: '济南', cityEn: 'Jinan', adcode: '370102', center: [LON0, LAT0],
      bbox: [LON0 - 0.01, LAT0 - 0.01, LON0 + 0.02, LAT0 + 0.02], timezone: 'Asia/Shanghai', crs: 'WGS84', approximate: true, attribution: 'test',
    },
    boundary: empty, communities: empty,
    // Street 370102001: 0.03° × 0.04° around the grid, its north edge 0.02° (2,224 m) north of the road.
    streets: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '370102001', name: '解放路街道', nameEn: 'Jiefanglu' }, geometry: { type: 'Polygon', coordinates: square(LON0 - 0.01, LAT0 - 0.02, LON0 + 0.02, LAT0 + 0.02) } }] },
    // Grid g1: 0.01° × 0.01° south-west corner at (LON0, LAT0 - 0.005).
    grids: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'g1', streetCode: '370102001', communityCode: '370102001001' }, geometry: { type: 'Polygon', coordinates: square(LON0, LAT0 - 0.005, LON0 + 0.01, LAT0 + 0.005) } }] },
    roads: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { id: 'r1', name: 'Road 1', class: 'primary' }, geometry: { type: 'LineString', coordinates: line } }] },
    roadGraph: { nodes: line, edges: [[0, 1, 890, 'r1']] },
    water: empty, parks: empty, landmarks: empty,
    toilets: [{ id: 'toilet-1', name: 'Toilet 1', lon: LON0, lat: LAT0, streetCode: '370102001', gridId: 'g1', toiletClass: 'II', stalls: 4, hours: '00:00-24:00' }],
    bins: [{ id: 'bin-1', lon: LON0, lat: LAT0, binType: 'litter', streetCode: '370102001', gridId: 'g1', capacityL: 120 }],
    staff: [
      { id: 'staff-1', name: 'Cleaner', role: 'cleaner', streetCode: '370102001', gridId: 'g1', shift: '08:00-17:00' },
      { id: 'staff-2', name: 'Chief', role: 'roadChief', streetCode: '370102001', gridId: 'g1', roadId: 'r1', shift: '08:00-17:00' },
      { id: 'staff-3', name: 'Officer', role: 'enforcer', streetCode: '370102001', gridId: 'g1', shift: '08:00-17:00' },
    ],
    vehicles: [{ id: 'veh-1', plate: '鲁A1', vehicleType: 'sweeper', streetCode: '370102001', gridId: 'g1', roadIds: ['r1'], depot: [LON0, LAT0], workSpeedLimitKph: 8 }],
    muckTrucks: [{
      id: 'muck-1', plate: '鲁A2', company: 'C', streetCode: '370102001', gridId: 'g1',
      permit: { id: 'p1', site: { name: 's', lon: LON0, lat: LAT0 }, disposal: { name: 'd', lon: LON0 + 0.01, lat: LAT0 }, routeRoadIds: ['r1'], route: line, hours: opts.muckHours ?? '00:00-24:00', corridorM: 50 },
    }],
    ...(opts.zones ? {
      restrictedZones: { type: 'FeatureCollection' as const, features: [{ type: 'Feature' as const, properties: { id: 'z1', name: 'School', kind: 'school' as const }, geometry: { type: 'Polygon' as const, coordinates: square(LON0 + 0.02, LAT0, LON0 + 0.03, LAT0 + 0.01) } }] },
    } : {}),
  };
}

export interface Harness {
  live: LiveState;
  mod: AlarmsModule;
  events: DomainEvents;
  db: Database.Database;
  raised: number[];
  changed: number[];
  report(id: string, r: LiveReport, at: number): void;
  /** Runs the engine's tick and waits for the book's commits. */
  tick(at: number): Promise<void>;
  activeTypes(id: string): string[];
}

export async function harness(pack = tinyPack(), db = new Database(':memory:'), onTask?: (entityId: string) => boolean): Promise<Harness> {
  migrate(db, MIGRATIONS);
  const mobile = { staleAfterMs: 60_000, offlineAfterMs: 300_000 };
  const live = new LiveState(entitiesFromPack(pack), connectivityPolicy(mobile, mobile));
  const events = new DomainEvents();
  events.onError = (err) => { throw err; };
  const raised: number[] = [];
  const changed: number[] = [];
  events.on('alarm:raised', (id) => raised.push(id));
  events.on('alarm:changed', (id) => changed.push(id));
  const mod = await createAlarms({ sql: new SqliteStore(db), live, pack, events, now: () => T0, onError: (err) => { throw err; }, ...(onTask ? { onTask } : {}) });
  mod.engine.start();
  return {
    live, mod, events, db, raised, changed,
    report: (id, r, at) => { live.apply(id, r, at); },
    tick: async (at) => { mod.engine.tick(at); await mod.book.settle(); },
    activeTypes: (id) => mod.book.activeTypesOf(id).sort(),
  };
}
