/**
 * Last known state after a restart (issue 7, part 2): every entity history has seen comes
 * back where it was, with the status and readings it last had and the time it was last
 * heard — not offline at the pack's defaults (bins at 0 %) until it reports again. The age
 * stays honest: the live state judges connectivity from it with the usual policy, so a bin
 * heard 20 minutes ago is stale and a truck heard yesterday offline, and the wall says
 * "last seen N ago". Nothing goes on the change stream: a restored state is not a report.
 */
import type { LiveState } from '../live/live-state.ts';
import type { HistoryPort } from './history-store.ts';

export interface RestoreResult {
  /** Entities put back. */
  restored: number;
  /** Entities history knows that the district no longer has (or that already reported). */
  skipped: number;
  /** Time spent reading history and applying it, ms. */
  ms: number;
}

export async function restoreLastKnown(live: LiveState, history: Pick<HistoryPort, 'lastKnown'>, now: number): Promise<RestoreResult> {
  const t0 = performance.now();
  let restored = 0;
  let skipped = 0;
  for (const s of await history.lastKnown()) {
    // A point recorded before the first fix has no position: keep the pack's.
    const pos = s.lon !== null && s.lat !== null ? { lon: s.lon, lat: s.lat, ts: s.ts } : undefined;
    if (live.restore(s.entityId, { pos, status: s.status, attrs: s.attrs, lastSeen: s.ts }, now)) restored++;
    else skipped++;
  }
  return { restored, skipped, ms: Math.round((performance.now() - t0) * 10) / 10 };
}
