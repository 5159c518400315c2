import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { ToDisplay } from '../../shared/basemap.ts';
import type { GLMap } from '../map/engine.ts';
import { addCaseLayers, type CaseMapLayer } from '../map/layers/cases.ts';
import { useI18n } from '../i18n/useI18n.ts';
import { useOpsStore } from '../stores/ops.ts';

/** Redraw ~10× a second for the pulses; rebuild markers and ETA labels once a second (countdowns move). */
const PULSE_FRAME_MS = 100;
const REBUILD_MS = 1000;

/**
 * The case markers and routes on one map, fed from the ops store. The layer lives while the
 * component does; its interval and frame loop end with it.
 */
export function useCaseLayer(map: Ref<GLMap | null>, ready: Ref<boolean>, scale: Readonly<Ref<number>>, selectedId: Ref<number | null> = shallowRef(null), showClosed = false, toDisplay?: Readonly<Ref<ToDisplay>>) {
  const ops = useOpsStore();
  const { t } = useI18n();
  const layer = shallowRef<CaseMapLayer | null>(null);
  let interval: ReturnType<typeof setInterval> | undefined;
  let raf = 0;
  let lastPulse = 0;

  const redraw = () => layer.value?.update(ops.cases.values(), Date.now(), selectedId.value);
  const stopInit = watch([map, ready], ([m, r]) => {
    if (!m || !r || layer.value) return;
    layer.value = addCaseLayers(m, scale.value, { etaLabel: (text) => t('ops.eta', { t: text }), showClosed, ...(toDisplay ? { toDisplay: toDisplay.value } : {}) });
    redraw();
    interval = setInterval(redraw, REBUILD_MS);
    const loop = (ts: number) => {
      raf = requestAnimationFrame(loop);
      if (ts - lastPulse < PULSE_FRAME_MS) return;
      lastPulse = ts;
      layer.value?.pulse(ts);
    };
    raf = requestAnimationFrame(loop);
  }, { immediate: true });
  const stopData = watch([() => ops.revision, selectedId], redraw);

  onBeforeUnmount(() => {
    stopInit();
    stopData();
    clearInterval(interval);
    cancelAnimationFrame(raf);
    layer.value = null;
  });
  return layer;
}
