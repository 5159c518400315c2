/**
 * The Prometheus metrics of one node (prom-client), on a registry of its own so that several
 * apps in one process (the tests) do not share counters. Counters that the ingest already keeps
 * are read when Prometheus scrapes (no work on the ingest's path); fan-out bytes, tick lag and
 * store latency are observed here.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestStats } from '../ingest/ingest.ts';

export interface MetricsSources {
  ingest(): Pick<IngestStats, 'accepted' | 'dropped'>;
  /** Connected Socket.IO clients (walls, dispatch screens, field phones). */
  screens(): number;
  entities(): number;
}

export interface OpsMetrics {
  registry: Registry;
  /** Bytes written to screens (every Socket.IO packet the server sends). */
  fanOutBytes: Counter;
  /** How late a timer on the live tick's period fires: what the tick itself waits for. */
  tickLag: Histogram;
  /** One small read of the store, timed. */
  storeLatency: Histogram;
}

export function createMetrics(sources: MetricsSources): OpsMetrics {
  const registry = new Registry();
  // Process CPU, memory, GC and event-loop lag (nodejs_eventloop_lag_*): prom-client's defaults.
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  new Counter({
    name: 'cityops_ingest_accepted_total', help: 'Reports accepted by the ingest, all sources', registers: [registry],
    collect() { this.reset(); this.inc(sources.ingest().accepted); },
  });
  new Counter({
    name: 'cityops_ingest_dropped_total', help: 'Reports dropped by the ingest, by reason', labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(sources.ingest().dropped)) this.inc({ reason }, n);
    },
  });
  new Gauge({ name: 'cityops_screens', help: 'Connected live clients (screens)', registers: [registry], collect() { this.set(sources.screens()); } });
  new Gauge({ name: 'cityops_live_entities', help: 'Entities in the live state', registers: [registry], collect() { this.set(sources.entities()); } });
  const fanOutBytes = new Counter({ name: 'cityops_fanout_bytes_total', help: 'Bytes sent to live clients (Socket.IO packets)', registers: [registry] });
  const tickLag = new Histogram({
    name: 'cityops_tick_lag_seconds', help: 'Lateness of a timer on the live tick period', registers: [registry],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const storeLatency = new Histogram({
    name: 'cityops_store_latency_seconds', help: 'Time of one small read of the store (probe every 5 s and per readiness check)', registers: [registry],
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  });
  return { registry, fanOutBytes, tickLag, storeLatency };
}

/** The size in bytes of an outgoing engine.io packet's data (text or binary). */
export function packetBytes(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}
