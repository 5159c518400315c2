/**
 * The district and its live state: loads the district pack, seeds the live entities,
 * builds the ingest entry point, and derives connectivity on a timer.
 */
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import type { DistrictPack } from '../../shared/district.ts';
import { districtGeometry } from '../district/load-pack.ts';
import { entitiesFromPack } from '../live/entities-from-pack.ts';
import { LiveState, type ConnectivityPolicy } from '../live/live-state.ts';
import { DeviceRegistry } from '../ingest/device-registry.ts';
import { Ingest } from '../ingest/ingest.ts';
import { TimerFailures } from '../live/timer-failures.ts';
import type { FilterLimits } from '../ingest/position-filter.ts';
import type { SourcePolicyOverrides } from '../ingest/source-policy.ts';
import type { IngestSource } from '../ingest/types.ts';

export interface DistrictAssets {
  pack: DistrictPack;
  /** GET /api/district body, serialised and gzipped once at start (it is megabytes). */
  geometryJson: Buffer;
  geometryGzip: Buffer;
  etag: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    district: DistrictAssets;
    live: LiveState;
    ingest: Ingest;
    /** Failures of timers and socket handlers, by name (they are caught, logged and counted, never fatal). */
    timerFailures: TimerFailures;
  }
}

export interface LivePluginOptions {
  pack: DistrictPack;
  connectivity: ConnectivityPolicy;
  filters: FilterLimits;
  sweepMs: number;
  now: () => number;
  /** The simulator's speed factor, so its fast-forwarded motion is not taken for impossible jumps. */
  simSpeed: number;
  /** Normalisation per source (INGEST_<SOURCE>_*). */
  perSource?: Partial<Record<IngestSource, SourcePolicyOverrides>>;
}

export default fp<LivePluginOptions>(async (app, opts) => {
  const geometryJson = Buffer.from(JSON.stringify(districtGeometry(opts.pack)));
  app.decorate('district', {
    pack: opts.pack,
    geometryJson,
    geometryGzip: gzipSync(geometryJson, { level: 6 }),
    etag: `"${createHash('sha1').update(geometryJson).digest('hex').slice(0, 20)}"`,
  });
  const live = new LiveState(entitiesFromPack(opts.pack), opts.connectivity);
  app.decorate('live', live);
  // Until the device registry (plugin 'devices') takes over, only the simulator's own devices resolve.
  app.decorate('ingest', new Ingest(live, new DeviceRegistry([], (id) => live.get(id) !== undefined), opts.filters, opts.now, { sim: opts.simSpeed }, opts.perSource ?? {}));
  const failures = new TimerFailures(app.log);
  app.decorate('timerFailures', failures);
  // Listeners of the change stream that throw are counted there and logged here.
  live.changes.onError = (err, listener) => failures.record(`change listener ${listener}`, err);
  // A timer that throws would end the server: log, count and sweep again next time.
  const sweep = setInterval(failures.guard('connectivity sweep', () => live.sweepConnectivity(opts.now())), opts.sweepMs);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}, { name: 'live', dependencies: ['store'] });
