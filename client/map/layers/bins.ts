/**
 * 果皮箱/垃圾桶 — bins: small dots by fill; ≥80 % amber and flashing, ≥95 % red. ~3,000 of them:
 * at district zoom one in three of the bins that are fine is drawn, every full one always.
 */
import type { EntityLayerDef } from './entity-layer.ts';
import { CONNECTIVITY_OPACITY, pulseLayerSpec, stateColor, thinAtDistrictZoom, zoomed } from './entity-layer.ts';
import { ALARM_RED, ALERT_AMBER } from '../palette.ts';

export const binLayer: EntityLayerDef = {
  kind: 'bin',
  visualState: (status) => status,
  hitLayers: ['bin-dot'],
  pulseLayer: { id: 'bin-pulse', baseRadius: 3, growRadius: 9 },
  layers: (source, s) => [
    pulseLayerSpec(
      'bin-pulse', source,
      ['all', ['in', ['get', 'st'], ['literal', ['full', 'overflow']]], ['!=', ['get', 'cn'], 2]],
      ['match', ['get', 'st'], 'overflow', ALARM_RED, ALERT_AMBER], s,
    ),
    {
      id: 'bin-dot', type: 'circle', source,
      filter: thinAtDistrictZoom(['in', ['get', 'st'], ['literal', ['full', 'overflow']]], 3, s),
      layout: { 'circle-sort-key': ['match', ['get', 'st'], 'overflow', 3, 'full', 2, 1] },
      paint: {
        'circle-radius': zoomed(['match', ['get', 'st'], 'overflow', 3.4, 'full', 3, 1.9], s),
        'circle-color': stateColor('bin'),
        'circle-opacity': ['*', CONNECTIVITY_OPACITY, ['match', ['get', 'st'], 'ok', 0.75, 1]],
        'circle-stroke-color': '#021025',
        'circle-stroke-width': 0.5 * s,
      },
    },
  ],
};
