import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import type { KpiSummary } from '../../shared/kpis.ts';

/** Online share per kind, in % of its total: kinds of 120 and of 3,000 share one axis. */
export interface TrendSample { ts: number; onlinePct: Record<EntityKind, number> }

const SAMPLE_EVERY_MS = 5000;
/** 10 minutes at one sample per 5 s: a bounded ring, however long the wall runs. */
const CAPACITY = 120;

/** Online share per kind over the last minutes, from the KPI stream. */
export function useKpiTrend(kpis: Ref<KpiSummary | null>) {
  const ring: TrendSample[] = new Array(CAPACITY);
  let head = 0;
  let size = 0;
  let lastTs = 0;
  /** Oldest → newest; replaced whole on each new sample. */
  const samples = shallowRef<TrendSample[]>([]);

  const stop = watch(kpis, (k) => {
    if (!k) return;
    if (k.ts < lastTs) {
      // The server's clock went back (clock correction, another server): start a new trend
      // rather than wait, possibly for hours, until it catches up with the last sample.
      head = 0;
      size = 0;
      lastTs = 0;
    }
    if (k.ts - lastTs < SAMPLE_EVERY_MS) return;
    lastTs = k.ts;
    const onlinePct = Object.fromEntries(ENTITY_KINDS.map((kind) => {
      const c = k.byKind[kind];
      return [kind, c.total ? (c.online / c.total) * 100 : 0];
    })) as Record<EntityKind, number>;
    ring[head] = { ts: k.ts, onlinePct };
    head = (head + 1) % CAPACITY;
    size = Math.min(CAPACITY, size + 1);
    const out: TrendSample[] = [];
    for (let n = 0; n < size; n++) out.push(ring[(head - size + n + CAPACITY) % CAPACITY]!);
    samples.value = out;
  }, { immediate: true });
  onBeforeUnmount(stop);
  return samples;
}
