import { onBeforeUnmount, onMounted, shallowRef, watch, type Ref } from 'vue';
import { echarts, guardDisposedPaint, type EChartsType } from '../charts/echarts.ts';

type Option = Parameters<EChartsType['setOption']>[0];

/**
 * One chart on `el`. The panels are CSS-scaled by `scale`, so the canvas is drawn at
 * devicePixelRatio × scale to stay crisp on a 4K wall; a scale change re-creates it.
 */
export function useEChart(el: Ref<HTMLElement | null>, option: Ref<Option>, scale: Readonly<Ref<number>>) {
  const chart = shallowRef<EChartsType | null>(null);

  const create = () => {
    chart.value?.dispose();
    if (!el.value) return;
    const c = echarts.init(el.value, undefined, { renderer: 'canvas', devicePixelRatio: window.devicePixelRatio * Math.max(1, scale.value) });
    guardDisposedPaint(c);
    c.setOption(option.value);
    chart.value = c;
  };
  const onResize = () => chart.value?.resize();

  onMounted(() => {
    create();
    window.addEventListener('resize', onResize);
  });
  const stopOption = watch(option, (o) => chart.value?.setOption(o));
  const stopScale = watch(scale, (now, before) => {
    if (Math.abs(now - before) > 0.05) create();
  });
  onBeforeUnmount(() => {
    stopOption();
    stopScale();
    window.removeEventListener('resize', onResize);
    chart.value?.dispose();
    chart.value = null;
  });
  return chart;
}
