import { defineStore } from 'pinia';
import { reactive, ref, shallowRef } from 'vue';
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import type { KpiSummary } from '../../shared/kpis.ts';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** Summaries and selections of the live stream. The entities themselves live in the non-reactive EntityBuffer. */
export const useLiveStore = defineStore('live', () => {
  const connection = ref<ConnectionState>('connecting');
  const kpis = shallowRef<KpiSummary | null>(null);
  /** Entities drawn on the map per kind, refreshed at most once a second. */
  const renderedCounts = shallowRef<Record<EntityKind, number>>(Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>);
  /** Catalog index of the selected (clicked) entity, or of the hovered one when nothing is selected. */
  const selectedIndex = ref<number | null>(null);
  const hoveredIndex = ref<number | null>(null);
  const layerVisible = reactive<Record<EntityKind, boolean>>(Object.fromEntries(ENTITY_KINDS.map((k) => [k, true])) as Record<EntityKind, boolean>);

  function toggleLayer(kind: EntityKind): void {
    layerVisible[kind] = !layerVisible[kind];
  }

  return { connection, kpis, renderedCounts, selectedIndex, hoveredIndex, layerVisible, toggleLayer };
});
