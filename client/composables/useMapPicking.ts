import { watch, type Ref } from 'vue';
import type { MapMouseEvent } from 'maplibre-gl';
import type { GLMap } from '../map/engine.ts';
import type { LiveRenderer } from '../map/live-renderer.ts';
import { useLiveStore } from '../stores/live.ts';

const HIT_TOLERANCE_PX = 6;

/** Hover shows an entity's details, a click pins them: the live store holds the indices. */
export function useMapPicking(map: Ref<GLMap | null>, renderer: Ref<LiveRenderer | null>, scale: Readonly<Ref<number>>): void {
  const live = useLiveStore();
  // The handlers live as long as the map: map.remove() drops them.
  watch([map, renderer], ([m, r]) => {
    if (!m || !r) return;
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
  }, { immediate: true });
}
