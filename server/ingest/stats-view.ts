/** Builds GET /api/ingest/stats (shared/schemas/ingest-stats.ts) from the ingest, the device registry and the failure counters. */
import type { IngestStatsView } from '../../shared/schemas/ingest-stats.ts';
import type { DeviceDirectory } from '../devices/device-directory.ts';
import type { LiveState } from '../live/live-state.ts';
import type { TimerFailures } from '../live/timer-failures.ts';
import type { Ingest } from './ingest.ts';
import { INGEST_SOURCES } from './types.ts';

const TOP_DEVICES = 100;

export function ingestStatsView(
  ingest: Ingest, directory: DeviceDirectory, live: LiveState, failures: TimerFailures, capabilities: IngestStatsView['capabilities'],
): IngestStatsView {
  const s = ingest.snapshotStats();
  const policies = ingest.sourcePolicies();
  const bySource: IngestStatsView['bySource'] = {};
  for (const src of INGEST_SOURCES) {
    const p = policies[src];
    bySource[src] = {
      ...s.bySource[src],
      policy: {
        maxFutureS: p.limits.maxFutureMs / 1000, maxAgeS: p.limits.maxAgeMs / 1000, maxSpeedKph: p.limits.maxSpeedKph,
        minDistanceM: p.minDistanceM, maxAccuracyM: p.maxAccuracyM, crs: p.crs,
      },
    };
  }
  const devices = [...directory.all()]
    .filter((d) => d.protocol !== 'sim' && d.refused > 0)
    .sort((a, b) => b.refused - a.refused)
    .slice(0, TOP_DEVICES)
    .map((d) => ({ protocol: d.protocol, deviceId: d.deviceId, entityId: d.entityId, accepted: d.accepted, refused: d.refused, lastRefusal: d.lastRefusal }));
  return {
    accepted: s.accepted, late: s.late, dropped: s.dropped, bySource, devices,
    unattributed: structuredClone(directory.unattributed),
    failures: { ...failures.counts, ...Object.fromEntries([...live.changes.failures].map(([k, v]) => [`listener ${k}`, v])) },
    capabilities,
    recentDrops: s.recentDrops,
  };
}
