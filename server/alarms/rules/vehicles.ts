/** 环卫车辆 — sanitation vehicles: working faster than their pack working-speed limit, or working in banned (rush) hours. */
import type { DistrictPack } from '../../../shared/district.ts';
import type { LiveEntity } from '../../live/live-state.ts';
import { inWindow, parseWindow, type DailyWindow } from '../../sim/clock.ts';
import type { KindRules, RuleContext } from './types.ts';

export class VehicleRules implements KindRules {
  readonly kind = 'vehicle' as const;
  readonly timeBased = true;
  private readonly limitKph = new Map<string, number>();
  private windowsOf: readonly string[] = [];
  private windows: DailyWindow[] = [];

  constructor(pack: Pick<DistrictPack, 'vehicles'>) {
    for (const v of pack.vehicles) this.limitKph.set(v.id, v.workSpeedLimitKph);
  }

  evaluate(e: LiveEntity, ctx: RuleContext): void {
    if (e.kind !== 'vehicle') return;
    if (e.attrs.sos === true) ctx.raise(e, 'driverSos', { detail: 'SOS', value: null });
    else ctx.release(e, 'driverSos');
    const working = e.status === 'working' || e.attrs.working === true;
    const speed = e.pos?.speed ?? 0;
    const limit = this.limitKph.get(e.id);
    if (working && limit !== undefined && speed > limit) {
      ctx.raise(e, 'vehicleOverspeed', { detail: `working at ${Math.round(speed)} km/h > ${limit} km/h`, value: Math.round(speed) });
    } else ctx.release(e, 'vehicleOverspeed');

    const banned = working ? this.bannedWindow(ctx) : null;
    if (banned !== null) ctx.raise(e, 'vehicleBannedHours', { detail: `working in banned hours ${banned}`, value: null });
    else ctx.release(e, 'vehicleBannedHours');
  }

  /** The banned window the local time falls in, if any (windows re-parsed only when the settings change). */
  private bannedWindow(ctx: RuleContext): string | null {
    const texts = ctx.settings.vehicleBannedHours;
    if (texts !== this.windowsOf) {
      this.windows = texts.map((t) => parseWindow(t));
      this.windowsOf = texts;
    }
    const i = this.windows.findIndex((w) => inWindow(ctx.localMinute, w));
    return i >= 0 ? texts[i]! : null;
  }
}
