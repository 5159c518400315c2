/** ECharts with only the parts the screens use (tree-shaken). */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, PieChart } from 'echarts/charts';
import { CalendarComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

// Heatmap, calendar and the continuous visual map: the heat charts (client/components/heat/).
echarts.use([BarChart, HeatmapChart, LineChart, PieChart, CalendarComponent, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer]);

export { echarts };
export type { EChartsType } from 'echarts/core';
