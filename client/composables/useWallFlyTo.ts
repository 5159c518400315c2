import { onBeforeUnmount, watch, type Ref } from 'vue';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { GLMap } from '../map/engine.ts';
import { FlyQueue } from '../map/fly-queue.ts';
import type { CaseMapLayer } from '../map/layers/cases.ts';
import { useOpsStore } from '../stores/ops.ts';
import { PANEL_PADDING } from './useWallMap.ts';

/** New critical alarms and emergencies from the ops stream fly the wall's map to them, one at a time, and back. */
export function useWallFlyTo(map: Ref<GLMap | null>, layer: Ref<CaseMapLayer | null>, district: Ref<DistrictGeometry | null>, scale: Readonly<Ref<number>>) {
  const ops = useOpsStore();
  let queue: FlyQueue | null = null;
  let unsubscribe: (() => void) | null = null;

  const stop = watch([map, layer, district], ([m, l, d]) => {
    if (!m || !l || !d || queue) return;
    const [w, s, e, n] = d.meta.bbox;
    queue = new FlyQueue(m, {
      highlight: (at) => l.highlight(at),
      home: (duration) => {
        const k = scale.value;
        m.fitBounds([[w, s], [e, n]], { padding: { top: PANEL_PADDING.top * k, bottom: PANEL_PADDING.bottom * k, left: PANEL_PADDING.left * k, right: PANEL_PADDING.right * k }, duration });
      },
    });
    const q = queue;
    unsubscribe = ops.onArrival((a) => q.push([a.lon, a.lat]));
  }, { immediate: true });

  onBeforeUnmount(() => {
    stop();
    unsubscribe?.();
    queue?.dispose();
    queue = null;
  });
}
