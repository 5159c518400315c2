/** ECharts with only the parts the screens use (tree-shaken). */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import { CalendarComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

// Heatmap, calendar and the continuous visual map: the heat charts (client/components/heat/).
echarts.use([BarChart, HeatmapChart, LineChart, PieChart, CalendarComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer]);

export { echarts };
export type { EChartsType } from 'echarts/core';

type Painter = { _i: unknown; _paintList?: (...args: unknown[]) => void };
const guarded = new WeakSet<object>();

/**
 * ECharts 6.1's canvas painter splits a paint that runs over its frame budget (15 ms: an
 * 8-megapixel wall drawn by software GL) and finishes it in the next animation frame without
 * checking whether the chart was disposed in between; a chart disposed then (the 16:9 wall's
 * rotating panel, a scale change) throws "Cannot read properties of null (reading
 * 'layerStack')" from that frame. Guard the painter's class once: a disposed painter paints nothing.
 */
export function guardDisposedPaint(chart: echarts.EChartsType): void {
  const proto = Object.getPrototypeOf(chart.getZr().painter) as Painter;
  const paint = proto._paintList;
  if (guarded.has(proto) || typeof paint !== 'function') return;
  proto._paintList = function (this: Painter, ...args: unknown[]) {
    if (this._i !== null) paint.apply(this, args);
  };
  guarded.add(proto);
}
