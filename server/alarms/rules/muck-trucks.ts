/**
 * 渣土车 — muck trucks, judged from what their terminals report (position, speed, lid) and
 * the permits in the district pack: off the permitted corridor for long enough (major,
 * then critical), lid unsealed while moving, moving outside the permit's hours, speeding,
 * inside a restricted zone (禁区; inactive when the pack has no zones).
 */
import type { DistrictPack, MuckPermit } from '../../../shared/district.ts';
import type { LonLat } from '../../../shared/geojson.ts';
import { distanceToPolylineM, PolygonIndex } from '../../district/locator.ts';
import type { LiveEntity } from '../../live/live-state.ts';
import { inWindow, parseWindow, type DailyWindow } from '../../sim/clock.ts';
import { grown, roundTo, type KindRules, type RuleContext } from './types.ts';

interface PermitRule { permit: MuckPermit; hours: DailyWindow | null }

export class MuckTruckRules implements KindRules {
  readonly kind = 'muckTruck' as const;
  readonly timeBased = true;
  private readonly permits = new Map<string, PermitRule>();
  private readonly permitOfTruck = new Map<string, string>();
  private readonly zones: PolygonIndex | null;
  private readonly zoneNames = new Map<string, string>();
  /** Since when each truck (by entity index) has been off its corridor; 0 when on it. */
  private offRouteSince: Float64Array;

  constructor(pack: Pick<DistrictPack, 'muckTrucks' | 'restrictedZones'>, entityCount: number) {
    for (const t of pack.muckTrucks) {
      this.permitOfTruck.set(t.id, t.permit.id);
      let hours: DailyWindow | null = null;
      try { hours = parseWindow(t.permit.hours); } catch { /* the pack validator reports it; no hours rule for this permit */ }
      this.permits.set(t.permit.id, { permit: t.permit, hours });
    }
    const zones = pack.restrictedZones?.features ?? [];
    this.zones = zones.length > 0 ? new PolygonIndex(zones.map((f) => ({ id: f.properties.id, geometry: f.geometry }))) : null;
    for (const f of zones) this.zoneNames.set(f.properties.id, f.properties.name);
    this.offRouteSince = new Float64Array(entityCount);
  }

  resize(entityCount: number): void {
    this.offRouteSince = grown(this.offRouteSince, entityCount);
  }

  evaluate(e: LiveEntity, ctx: RuleContext): void {
    if (e.kind !== 'muckTruck') return;
    if (e.attrs.sos === true) ctx.raise(e, 'driverSos', { detail: 'SOS', value: null });
    else ctx.release(e, 'driverSos');
    const s = ctx.settings;
    const pos = e.pos;
    const speed = pos?.speed ?? 0;
    const rule = this.permits.get(e.attrs.permitId) ?? this.permits.get(this.permitOfTruck.get(e.id) ?? '');

    this.offRoute(e, ctx, rule?.permit, pos);

    if (!e.attrs.lidSealed && speed > s.muckLidOpenMaxKph) {
      ctx.raise(e, 'muckLidOpen', { detail: `lid unsealed at ${Math.round(speed)} km/h > ${s.muckLidOpenMaxKph} km/h`, value: Math.round(speed) });
    } else ctx.release(e, 'muckLidOpen');

    if (rule?.hours && speed > s.movingKph && !inWindow(ctx.localMinute, rule.hours)) {
      ctx.raise(e, 'muckOutsideHours', { detail: `moving at ${Math.round(speed)} km/h outside permitted hours ${rule.permit.hours}`, value: Math.round(speed) });
    } else ctx.release(e, 'muckOutsideHours');

    if (speed > s.muckSpeedLimitKph) {
      ctx.raise(e, 'muckSpeeding', { detail: `${Math.round(speed)} km/h > ${s.muckSpeedLimitKph} km/h`, value: Math.round(speed) });
    } else ctx.release(e, 'muckSpeeding');

    const zone = this.zones && pos ? this.zones.find(pos.lon, pos.lat) : null;
    if (zone !== null) ctx.raise(e, 'muckRestrictedZone', { detail: `inside restricted zone ${this.zoneNames.get(zone) ?? zone}`, value: null });
    else ctx.release(e, 'muckRestrictedZone');
  }

  private offRoute(e: LiveEntity, ctx: RuleContext, permit: MuckPermit | undefined, pos: { lon: number; lat: number } | undefined): void {
    const s = ctx.settings;
    const route: readonly LonLat[] = permit?.route ?? [];
    const corridorM = permit?.corridorM && permit.corridorM > 0 ? permit.corridorM : s.muckCorridorM;
    const d = pos && route.length > 0 ? distanceToPolylineM(pos.lon, pos.lat, route) : 0;
    if (d <= corridorM) {
      // While the alarm waits out its clear hold the start is kept: a truck that swerves back
      // out (or GPS noise at the corridor's edge) continues the same episode.
      if (!ctx.isActive(e, 'muckOffRoute')) this.offRouteSince[e.index] = 0;
      ctx.release(e, 'muckOffRoute');
      return;
    }
    const since = this.offRouteSince[e.index] || (this.offRouteSince[e.index] = ctx.now);
    const minutes = (ctx.now - since) / 60_000;
    if (minutes < s.muckOffRouteMin) return;
    const critical = minutes >= s.muckOffRouteCriticalMin;
    ctx.raise(e, 'muckOffRoute', {
      detail: `${Math.round(d)} m off the permitted route (corridor ${corridorM} m) for ${Math.floor(minutes)} min`,
      value: Math.round(d / 10) * 10,
      ...(critical ? { severity: 'critical' as const } : {}),
    });
  }
}
