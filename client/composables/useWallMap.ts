import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { MapMouseEvent } from 'maplibre-gl';
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';
import type { DistrictGeometry } from '../../shared/district.ts';
import { createMap, loadMapConfig, preloadEngine, whenLoaded, type GLMap, type MapEngineName } from '../map/engine.ts';
import { addEntityIcons } from '../map/icons.ts';
import { CASE_MARKER_LAYER, CASE_ROUTE_LAYER } from '../map/layers/cases.ts';
import { LiveRenderer } from '../map/live-renderer.ts';
import { buildOfflineStyle, LABEL_FONT_FAMILY, labelField, LOCALIZED_LABEL_LAYERS } from '../map/offline-style.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';
import { useI18n } from '../i18n/useI18n.ts';
import { useLiveStore } from '../stores/live.ts';

/** Space the side panels, header and legend take, in design pixels: the district is fitted between them. */
export const PANEL_PADDING = { top: 200, bottom: 96, left: 500, right: 500 };
const HIT_TOLERANCE_PX = 6;
/** A GPU reset or driver update can lose the GL context; if the browser does not give it back, reload. */
const CONTEXT_RESTORE_WAIT_MS = 60_000;

declare global {
  interface Window {
    /** Read-only diagnostics for tests and support: what the map draws right now. */
    __cityops?: {
      engine: MapEngineName;
      /** Features fed to each kind's map source. */
      renderedCounts(): Record<EntityKind, number>;
      /** Features the GL engine actually drew on screen, per kind. */
      drawnCounts(): Record<EntityKind, number>;
      /** Screen position (CSS px in the map container) and catalog index of one drawn entity of a kind. */
      drawnPoint(kind: EntityKind): { x: number; y: number; i: number } | null;
      /** Ids of the cases whose marker, or whose dispatched unit's route, the GL engine drew on screen. */
      drawnCaseIds(what: 'marker' | 'route'): number[];
    };
  }
}

/** The wall's one map: created when the district geometry is known, removed with the component. */
export function useWallMap(container: Ref<HTMLElement | null>, district: Ref<DistrictGeometry | null>, buffer: EntityBuffer, scale: Readonly<Ref<number>>) {
  const live = useLiveStore();
  const { locale } = useI18n();
  const map = shallowRef<GLMap | null>(null);
  /** True once the basemap is drawn and the live layers run: until then the screen says the map is loading. */
  const ready = shallowRef(false);
  let renderer: LiveRenderer | null = null;
  let disposed = false;
  const stops: (() => void)[] = [];
  // Config and engine code load in parallel with the district geometry, not after it.
  const configReady = loadMapConfig().then((c) => {
    preloadEngine(c);
    return c;
  });

  const stopInit = watch([container, district], async ([el, d]) => {
    if (!el || !d || map.value) return;
    const s = scale.value;
    await preloadFonts(d);
    const config = await configReady;
    if (disposed) return;
    const [w, so, e, n] = d.meta.bbox;
    const created = await createMap(el, buildOfflineStyle(d, locale.value, s), {
      config,
      bounds: [[w, so], [e, n]],
      padding: { top: PANEL_PADDING.top * s, bottom: PANEL_PADDING.bottom * s, left: PANEL_PADDING.left * s, right: PANEL_PADDING.right * s },
      fontFamily: LABEL_FONT_FAMILY,
    });
    if (disposed) {
      created.map.remove();
      return;
    }
    map.value = created.map;
    await whenLoaded(created.map);
    if (disposed) return;
    addEntityIcons(created.map, Math.ceil(2 * Math.max(1, s)));
    const r = new LiveRenderer(created.map, buffer, s, (counts) => (live.renderedCounts = counts));
    renderer = r;
    for (const k of ENTITY_KINDS) r.setVisible(k, live.layerVisible[k]);
    r.start();
    ready.value = true;
    wireInteraction(created.map, r);
    watchGlContext(created.map, r);
    window.__cityops = {
      engine: created.engine,
      renderedCounts: () => r.renderedCounts(),
      drawnCounts: () => r.drawnCounts(),
      drawnPoint: (kind) => r.drawnPoint(kind),
      drawnCaseIds: (what) => drawnCaseIds(created.map, what === 'route' ? CASE_ROUTE_LAYER : CASE_MARKER_LAYER),
    };
  }, { immediate: true });
  stops.push(stopInit);

  function wireInteraction(m: GLMap, r: LiveRenderer): void {
    const pick = (ev: MapMouseEvent): number | null => {
      const layers = r.hitLayers.filter((id) => m.getLayer(id) && m.getLayoutProperty(id, 'visibility') !== 'none');
      const { x, y } = ev.point;
      const t = HIT_TOLERANCE_PX * scale.value;
      const hits = m.queryRenderedFeatures([[x - t, y - t], [x + t, y + t]], { layers });
      const i = hits[0]?.properties?.['i'];
      return typeof i === 'number' ? i : null;
    };
    m.on('mousemove', (ev) => {
      const i = pick(ev);
      m.getCanvas().style.cursor = i === null ? '' : 'pointer';
      if (live.hoveredIndex !== i) live.hoveredIndex = i;
    });
    m.on('mouseout', () => (live.hoveredIndex = null));
    m.on('click', (ev) => (live.selectedIndex = pick(ev)));
  }

  /** Weeks on a wall PC: the GL context may be lost; maplibre redraws when it is restored, and we reload when it is not. */
  let contextTimer: ReturnType<typeof setTimeout> | undefined;
  function watchGlContext(m: GLMap, r: LiveRenderer): void {
    m.on('webglcontextlost', () => {
      console.warn('[map] WebGL context lost; waiting for the browser to restore it');
      // The style cannot be changed without a context: live layers wait until the map has redrawn.
      r.stop();
      clearTimeout(contextTimer);
      contextTimer = setTimeout(() => location.reload(), CONTEXT_RESTORE_WAIT_MS);
    });
    m.on('webglcontextrestored', () => {
      clearTimeout(contextTimer);
      contextTimer = undefined;
      m.once('idle', () => {
        if (renderer === r) r.start();
      });
    });
  }
  stops.push(() => clearTimeout(contextTimer));

  stops.push(watch(locale, (loc) => {
    const m = map.value;
    if (!m) return;
    for (const id of LOCALIZED_LABEL_LAYERS) if (m.getLayer(id)) m.setLayoutProperty(id, 'text-field', labelField(loc));
  }));
  stops.push(watch(() => ({ ...live.layerVisible }), (vis) => {
    for (const k of ENTITY_KINDS) renderer?.setVisible(k, vis[k]);
  }));
  stops.push(watch(() => live.selectedIndex ?? live.hoveredIndex, (i) => renderer?.select(i ?? null)));

  onBeforeUnmount(() => {
    disposed = true;
    for (const stop of stops) stop();
    renderer?.stop();
    renderer = null;
    map.value?.remove();
    map.value = null;
    delete window.__cityops;
  });

  return { map, ready };
}

function drawnCaseIds(m: GLMap, layer: string): number[] {
  if (!m.getLayer(layer)) return [];
  const ids = m.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties?.['id']);
  return [...new Set(ids.filter((id): id is number => typeof id === 'number'))];
}

/** Labels are rasterised from the page's fonts: make sure the bundled CJK font is loaded first. */
async function preloadFonts(d: DistrictGeometry): Promise<void> {
  const sample = [...d.streets.features.map((f) => f.properties.name), ...d.landmarks.features.map((f) => f.properties.name), ...d.roads.features.slice(0, 200).map((f) => f.properties.name)].join('');
  const loads = ['400', '700'].map((w) => document.fonts.load(`${w} 16px "Noto Sans SC"`, sample || '历下区'));
  await Promise.race([Promise.allSettled(loads), new Promise((r) => setTimeout(r, 4000))]);
}
