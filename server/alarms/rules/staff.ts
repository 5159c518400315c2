/**
 * Field staff: SOS (一键求助); out of the assigned grid (越界) by more than staffOutOfGridM
 * for staffOutOfGridMin while on duty — a road chief (路长) is measured from their road's
 * line instead; off post (脱岗): within their shift but out of the assigned area, or
 * silent, for staffOffPostMin.
 */
import type { DistrictPack } from '../../../shared/district.ts';
import type { LonLat } from '../../../shared/geojson.ts';
import { distanceToPolylineM, type DistrictLocator } from '../../district/locator.ts';
import type { LiveEntity } from '../../live/live-state.ts';
import { inWindow, parseWindow, type DailyWindow } from '../../sim/clock.ts';
import type { KindRules, RuleContext } from './types.ts';

export class StaffRules implements KindRules {
  readonly kind = 'staff' as const;
  readonly timeBased = true;
  private readonly roadLines = new Map<string, LonLat[][]>();
  private readonly shiftOf = new Map<string, DailyWindow | null>();
  /** Since when each person (by entity index) has been out of their area; 0 when inside. */
  private readonly outSince: Float64Array;

  constructor(
    pack: Pick<DistrictPack, 'roads' | 'staff'>,
    private readonly locator: Pick<DistrictLocator, 'distanceToGridM' | 'distanceToStreetM'>,
    entityCount: number,
    /** Whether a person is on a dispatched task: sent away from their post, so neither out of grid nor off post. */
    private readonly onTask: (entityId: string) => boolean = () => false,
  ) {
    for (const f of pack.roads.features) {
      let lines = this.roadLines.get(f.properties.id);
      if (!lines) this.roadLines.set(f.properties.id, (lines = []));
      lines.push(f.geometry.coordinates);
    }
    for (const m of pack.staff) this.shiftOf.set(m.id, this.parse(m.shift));
    this.outSince = new Float64Array(entityCount);
  }

  evaluate(e: LiveEntity, ctx: RuleContext): void {
    if (e.kind !== 'staff') return;
    const s = ctx.settings;
    const a = e.attrs;
    if (e.status === 'sos' || a.sos === true) ctx.raise(e, 'staffSos', { detail: 'SOS', value: null });
    else ctx.release(e, 'staffSos');

    const tasked = this.onTask(e.id);
    const distM = tasked ? null : this.distanceFromPostM(e);
    const out = distM !== null && distM > s.staffOutOfGridM;
    if (out) this.outSince[e.index] ||= ctx.now;
    else this.outSince[e.index] = 0;
    const outMin = out ? (ctx.now - this.outSince[e.index]!) / 60_000 : 0;
    const onDutyNow = a.onDuty === true || e.status === 'onDuty' || e.status === 'sos';

    if (onDutyNow && out && outMin >= s.staffOutOfGridMin) {
      ctx.raise(e, 'staffOutOfGrid', { detail: `${Math.round(distM!)} m outside the assigned ${this.postName(e)} for ${Math.floor(outMin)} min`, value: Math.round(distM! / 10) * 10 });
    } else ctx.release(e, 'staffOutOfGrid');

    const shift = this.shiftOf.has(e.id) ? this.shiftOf.get(e.id)! : this.parse(a.shift);
    const inShift = shift !== null && inWindow(ctx.localMinute, shift);
    const silentMin = e.lastSeen > 0 ? (ctx.now - e.lastSeen) / 60_000 : 0;
    if (inShift && outMin >= s.staffOffPostMin) {
      ctx.raise(e, 'staffOffPost', { detail: `on shift, away from post for ${Math.floor(outMin)} min`, value: Math.floor(outMin) });
    } else if (inShift && !tasked && silentMin >= s.staffOffPostMin) {
      ctx.raise(e, 'staffOffPost', { detail: `on shift, silent for ${Math.floor(silentMin)} min`, value: Math.floor(silentMin) });
    } else ctx.release(e, 'staffOffPost');
  }

  private isRoadChief(e: LiveEntity): boolean {
    return e.kind === 'staff' && e.attrs.role === 'roadChief' && e.attrs.roadId !== undefined && this.roadLines.has(e.attrs.roadId);
  }

  private postName(e: LiveEntity): string {
    return this.isRoadChief(e) ? 'road' : e.kind === 'staff' && e.attrs.role === 'enforcer' ? 'street' : 'grid';
  }

  /**
   * Metres from the assigned area; null with no position. The post is what the person is
   * assigned to patrol: a road chief's road, an enforcer's street (执法队员 patrol the whole
   * street), a cleaner's grid.
   */
  private distanceFromPostM(e: LiveEntity): number | null {
    if (e.kind !== 'staff' || !e.pos) return null;
    const { lon, lat } = e.pos;
    if (this.isRoadChief(e)) {
      let best = Infinity;
      for (const line of this.roadLines.get(e.attrs.roadId!)!) best = Math.min(best, distanceToPolylineM(lon, lat, line));
      return best;
    }
    const d = e.attrs.role === 'enforcer' ? this.locator.distanceToStreetM(e.orgCode, lon, lat) : this.locator.distanceToGridM(e.gridId, lon, lat);
    return Number.isFinite(d) ? d : null;
  }

  private parse(text: string | undefined): DailyWindow | null {
    if (!text) return null;
    try { return parseWindow(text); } catch { return null; }
  }
}
