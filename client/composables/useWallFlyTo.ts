import { onBeforeUnmount, watch, type Ref } from 'vue';
import type { ToDisplay } from '../../shared/basemap.ts';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { WallLayout } from '../../shared/wall-layout.ts';
import type { GLMap } from '../map/engine.ts';
import { FlyQueue } from '../map/fly-queue.ts';
import type { CaseMapLayer } from '../map/layers/cases.ts';
import { districtBounds, districtPadding } from '../map/wall-view.ts';
import { useOpsStore } from '../stores/ops.ts';

/**
 * New critical alarms and emergencies from the ops stream fly the wall's map to them, one at a
 * time, and back. `district` is in the basemap's CRS; arrivals are shifted into it.
 */
export function useWallFlyTo(map: Ref<GLMap | null>, layer: Ref<CaseMapLayer | null>, district: Ref<DistrictGeometry | null>, scale: Readonly<Ref<number>>, layout: Readonly<Ref<WallLayout>>, toDisplay: Readonly<Ref<ToDisplay>>) {
  const ops = useOpsStore();
  const queue = { value: null as FlyQueue | null };
  let unsubscribe: (() => void) | null = null;

  const stop = watch([map, layer, district], ([m, l, d]) => {
    if (!m || !l || !d || queue.value) return;
    const q = new FlyQueue(m, {
      highlight: (at) => l.highlight(at),
      home: (duration) => m.fitBounds(districtBounds(d), { padding: districtPadding(layout.value, scale.value), duration }),
    });
    queue.value = q;
    unsubscribe = ops.onArrival((a) => q.push(toDisplay.value(a.lon, a.lat, [0, 0])));
  }, { immediate: true });

  onBeforeUnmount(() => {
    stop();
    unsubscribe?.();
    queue.value?.dispose();
    queue.value = null;
  });
  /** The queue, for the idle tour to yield to an alarm's flight. */
  return queue;
}
