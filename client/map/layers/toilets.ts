/** 公共卫生间 — public toilets: WC badges, red and pulsing on an odour alarm (NH₃/H₂S). */
import type { EntityLayerDef } from './entity-layer.ts';
import { CONNECTIVITY_OPACITY, pulseLayerSpec, stateIcon, zoomed } from './entity-layer.ts';
import { ALARM_RED } from '../palette.ts';

export const toiletLayer: EntityLayerDef = {
  kind: 'toilet',
  visualState: (status, attrs) => (attrs?.['odourAlarm'] === true ? 'alarm' : status),
  hitLayers: ['toilet-icon'],
  pulseLayer: { id: 'toilet-pulse', baseRadius: 8, growRadius: 16 },
  layers: (source, s) => [
    pulseLayerSpec('toilet-pulse', source, ['all', ['==', ['get', 'st'], 'alarm'], ['!=', ['get', 'cn'], 2]], ALARM_RED, s),
    {
      id: 'toilet-icon', type: 'symbol', source,
      layout: {
        'icon-image': stateIcon('toilet'),
        'icon-size': zoomed(0.72, s),
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'symbol-sort-key': ['match', ['get', 'st'], 'alarm', 2, 1],
      },
      paint: { 'icon-opacity': CONNECTIVITY_OPACITY },
    },
  ],
};
