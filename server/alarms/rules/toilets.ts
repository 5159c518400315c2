/**
 * 公共卫生间: NH₃ over its GB/T 17217 class limit, H₂S over its limit, and an open toilet
 * not cleaned for longer than toiletCleaningOverdueH (the sweep catches the hour passing).
 */
import type { LiveEntity } from '../../live/live-state.ts';
import { roundTo, type KindRules, type RuleContext } from './types.ts';

export const toiletRules: KindRules = {
  kind: 'toilet',
  timeBased: true,
  evaluate(e: LiveEntity, ctx: RuleContext): void {
    if (e.kind !== 'toilet') return;
    const a = e.attrs;
    const s = ctx.settings;
    // A class without a limit (none gets past the ingest) is held to the strictest, never to none.
    const nh3Limit = s.nh3LimitMgM3[a.toiletClass] ?? Math.min(...Object.values(s.nh3LimitMgM3));
    if (a.nh3 > nh3Limit) ctx.raise(e, 'toiletNh3', { detail: `NH₃ ${roundTo(a.nh3, 2)} mg/m³ > ${nh3Limit} (class ${a.toiletClass})`, value: roundTo(a.nh3, 2) });
    else ctx.release(e, 'toiletNh3');
    if (a.h2s > s.h2sLimitMgM3) ctx.raise(e, 'toiletH2s', { detail: `H₂S ${roundTo(a.h2s, 3)} mg/m³ > ${s.h2sLimitMgM3}`, value: roundTo(a.h2s, 3) });
    else ctx.release(e, 'toiletH2s');
    const open = a.open && e.status === 'open';
    const sinceCleanH = (ctx.now - a.lastCleanedTs) / 3_600_000;
    if (open && a.lastCleanedTs > 0 && sinceCleanH > s.toiletCleaningOverdueH) {
      ctx.raise(e, 'toiletCleaningOverdue', { detail: `not cleaned for ${roundTo(sinceCleanH, 1)} h > ${s.toiletCleaningOverdueH} h`, value: roundTo(sinceCleanH, 1) });
    } else {
      ctx.release(e, 'toiletCleaningOverdue');
    }
  },
};
