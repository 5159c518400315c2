/**
 * Field staff: SOS (一键求助); out of the assigned area (越界) by more than staffOutOfGridM
 * for staffOutOfGridMin while on duty — a cleaner's grid, an enforcer's street (执法队员
 * patrol the whole street), a road chief's (路长) road line; off post (脱岗): within their
 * shift but out of the assigned area, or silent, for staffOffPostMin. Someone sent away on a
 * dispatched task is neither.
 */
import type { DistrictPack } from '../../../shared/district.ts';
import type { LonLat } from '../../../shared/geojson.ts';
import { distanceToFlatPolygonM, distanceToPolylineM, type DistrictLocator } from '../../district/locator.ts';
import type { LiveEntity } from '../../live/live-state.ts';
import { inWindow, parseWindow, type DailyWindow } from '../../sim/clock.ts';
import { grown, type KindRules, type RuleContext } from './types.ts';

/**
 * Where a person belongs and when, resolved from the pack once per person (by entity index)
 * rather than looked up by id on every report; resolved again if what it came from changes.
 */
interface Post {
  gridId: string;
  role: string | undefined;
  roadId: string | undefined;
  shiftText: string | undefined;
  /** A road chief's road; null for everyone else. */
  road: LonLat[][] | null;
  /** The assigned area's rings (flattenRings): an enforcer's street, else the grid; null when unknown. */
  area: Float64Array | null;
  areaName: 'road' | 'street' | 'grid';
  shift: DailyWindow | null;
}

export class StaffRules implements KindRules {
  readonly kind = 'staff' as const;
  readonly timeBased = true;
  private readonly roadLines = new Map<string, LonLat[][]>();
  private readonly shiftOf = new Map<string, DailyWindow | null>();
  private readonly posts: (Post | undefined)[] = [];
  /** Since when each person (by entity index) has been out of their area; 0 when inside. */
  private outSince: Float64Array;

  constructor(
    pack: Pick<DistrictPack, 'roads' | 'staff'>,
    private readonly locator: Pick<DistrictLocator, 'gridRings' | 'streetRings'>,
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

  resize(entityCount: number): void {
    this.outSince = grown(this.outSince, entityCount);
  }

  evaluate(e: LiveEntity, ctx: RuleContext): void {
    if (e.kind !== 'staff') return;
    const s = ctx.settings;
    const a = e.attrs;
    const post = this.postOf(e);
    if (e.status === 'sos' || a.sos === true) ctx.raise(e, 'staffSos', { detail: 'SOS', value: null });
    else ctx.release(e, 'staffSos');

    const tasked = this.onTask(e.id);
    const distM = tasked ? null : this.distanceFromPostM(e, post);
    const out = distM !== null && distM > s.staffOutOfGridM;
    if (out) this.outSince[e.index] ||= ctx.now;
    else this.outSince[e.index] = 0;
    const outMin = out ? (ctx.now - this.outSince[e.index]!) / 60_000 : 0;
    const onDutyNow = a.onDuty === true || e.status === 'onDuty' || e.status === 'sos';

    if (onDutyNow && out && outMin >= s.staffOutOfGridMin) {
      ctx.raise(e, 'staffOutOfGrid', { detail: `${Math.round(distM!)} m outside the assigned ${post.areaName} for ${Math.floor(outMin)} min`, value: Math.round(distM! / 10) * 10 });
    } else ctx.release(e, 'staffOutOfGrid');

    const shift = post.shift;
    const inShift = shift !== null && inWindow(ctx.localMinute, shift);
    const silentMin = e.lastSeen > 0 ? (ctx.now - e.lastSeen) / 60_000 : 0;
    if (inShift && outMin >= s.staffOffPostMin) {
      ctx.raise(e, 'staffOffPost', { detail: `on shift, away from post for ${Math.floor(outMin)} min`, value: Math.floor(outMin) });
    } else if (inShift && !tasked && silentMin >= s.staffOffPostMin) {
      ctx.raise(e, 'staffOffPost', { detail: `on shift, silent for ${Math.floor(silentMin)} min`, value: Math.floor(silentMin) });
    } else ctx.release(e, 'staffOffPost');
  }

  private postOf(e: LiveEntity & { kind: 'staff' }): Post {
    const a = e.attrs;
    const p = this.posts[e.index];
    if (p && p.gridId === e.gridId && p.role === a.role && p.roadId === a.roadId && p.shiftText === a.shift) return p;
    const road = a.role === 'roadChief' && a.roadId !== undefined ? this.roadLines.get(a.roadId) ?? null : null;
    const enforcer = a.role === 'enforcer';
    const post: Post = {
      gridId: e.gridId, role: a.role, roadId: a.roadId, shiftText: a.shift, road,
      area: (enforcer ? this.locator.streetRings(e.orgCode) : this.locator.gridRings(e.gridId)) ?? null,
      areaName: road ? 'road' : enforcer ? 'street' : 'grid',
      shift: this.shiftOf.has(e.id) ? this.shiftOf.get(e.id)! : this.parse(a.shift),
    };
    this.posts[e.index] = post;
    return post;
  }

  /** Metres from the assigned area (grid, street or road); null with no position or an unknown area. */
  private distanceFromPostM(e: LiveEntity, post: Post): number | null {
    if (!e.pos) return null;
    const { lon, lat } = e.pos;
    if (post.road) {
      let best = Infinity;
      for (const line of post.road) {
        const d = distanceToPolylineM(lon, lat, line);
        if (d < best) best = d;
      }
      return best;
    }
    return post.area ? distanceToFlatPolygonM(lon, lat, post.area) : null;
  }

  private parse(text: string | undefined): DailyWindow | null {
    if (!text) return null;
    try { return parseWindow(text); } catch { return null; }
  }
}
