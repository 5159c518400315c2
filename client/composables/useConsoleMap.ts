import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { CoverageResult, UnitRecommendation } from '../../shared/dispatch.ts';
import type { CaseSummary } from '../../shared/cases.ts';
import { ENTITY_KINDS } from '../../shared/entities.ts';
import { createMap, loadMapConfig, whenLoaded, type GLMap } from '../map/engine.ts';
import { addEntityIcons } from '../map/icons.ts';
import { LiveRenderer } from '../map/live-renderer.ts';
import { addDispatchOverlays, type DispatchOverlays } from '../map/layers/dispatch-overlays.ts';
import { buildOfflineStyle, LABEL_FONT_FAMILY } from '../map/offline-style.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';
import { useI18n } from '../i18n/useI18n.ts';

const PADDING = { top: 40, bottom: 40, left: 40, right: 40 };

export interface ConsoleMapInputs {
  district: Ref<DistrictGeometry | null>;
  selected: Ref<CaseSummary | null>;
  recommendations: Ref<readonly UnitRecommendation[]>;
  coverage: Ref<CoverageResult | null>;
  coverageVisible: Ref<boolean>;
}

/**
 * The console's map at native resolution (a desk monitor, no wall scaling): the live entities,
 * the dispatch overlays; case markers are added by useCaseLayer once `ready`. Removed on unmount.
 */
export function useConsoleMap(container: Ref<HTMLElement | null>, buffer: EntityBuffer, inputs: ConsoleMapInputs) {
  const { locale } = useI18n();
  const map = shallowRef<GLMap | null>(null);
  const ready = shallowRef(false);
  let renderer: LiveRenderer | null = null;
  let overlays: DispatchOverlays | null = null;
  let disposed = false;
  const configReady = loadMapConfig();

  const stopInit = watch([container, inputs.district], async ([el, d]) => {
    if (!el || !d || map.value) return;
    const config = await configReady;
    if (disposed) return;
    const [w, s, e, n] = d.meta.bbox;
    const created = await createMap(el, buildOfflineStyle(d, locale.value, 1), { config, bounds: [[w, s], [e, n]], padding: PADDING, fontFamily: LABEL_FONT_FAMILY });
    if (disposed) {
      created.map.remove();
      return;
    }
    map.value = created.map;
    await whenLoaded(created.map);
    if (disposed) return;
    addEntityIcons(created.map, 2);
    overlays = addDispatchOverlays(created.map, 'road-labels');
    renderer = new LiveRenderer(created.map, buffer, 1, () => undefined);
    for (const k of ENTITY_KINDS) renderer.setVisible(k, k !== 'bin');
    renderer.start();
    overlays.setCoverage(inputs.coverage.value);
    overlays.setCoverageVisible(inputs.coverageVisible.value);
    ready.value = true;
  }, { immediate: true });

  const stops = [
    stopInit,
    watch([inputs.recommendations, inputs.selected], ([recs, c]) => overlays?.setRecommendations(recs, c ? [c.location.lon, c.location.lat] : null)),
    watch(inputs.coverage, (c) => overlays?.setCoverage(c)),
    watch(inputs.coverageVisible, (v) => overlays?.setCoverageVisible(v)),
    // A newly opened case is brought into view; the same case updating does not move the map.
    watch(() => inputs.selected.value?.id, () => {
      const c = inputs.selected.value;
      if (c && map.value) map.value.easeTo({ center: [c.location.lon, c.location.lat], zoom: Math.max(map.value.getZoom(), 14.5), duration: 800 });
    }),
  ];

  onBeforeUnmount(() => {
    disposed = true;
    for (const stop of stops) stop();
    renderer?.stop();
    renderer = null;
    overlays = null;
    map.value?.remove();
    map.value = null;
  });
  return { map, ready };
}
