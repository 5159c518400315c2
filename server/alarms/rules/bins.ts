/** 果皮箱/垃圾桶: ≥ binOverflowPct is an overflow alarm, ≥ binFullPct a full warning; one of the two at a time per bin. */
import type { LiveEntity } from '../../live/live-state.ts';
import type { KindRules, RuleContext } from './types.ts';

export const binRules: KindRules = {
  kind: 'bin',
  timeBased: false,
  evaluate(e: LiveEntity, ctx: RuleContext): void {
    if (e.kind !== 'bin') return;
    const fill = e.attrs.fill;
    const { binFullPct, binOverflowPct } = ctx.settings;
    if (fill >= binOverflowPct) {
      ctx.supersede(e, 'binFull');
      ctx.raise(e, 'binOverflow', { detail: `fill ${Math.round(fill)} % ≥ ${binOverflowPct} %`, value: Math.round(fill) });
    } else if (fill >= binFullPct) {
      ctx.release(e, 'binOverflow');
      // While the overflow waits out its clear hold it stands for the bin; the warning follows on the next evaluation after it clears.
      if (!ctx.isActive(e, 'binOverflow')) ctx.raise(e, 'binFull', { detail: `fill ${Math.round(fill)} % ≥ ${binFullPct} %`, value: Math.round(fill) });
    } else {
      ctx.release(e, 'binOverflow');
      ctx.release(e, 'binFull');
    }
  },
};
