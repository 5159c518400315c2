/** 渣土车 — muck trucks: loaded amber, empty yellow, red and pulsing in violation. */
import type { EntityLayerDef } from './entity-layer.ts';
import { CONNECTIVITY_OPACITY, pulseLayerSpec, stateIcon, zoomed } from './entity-layer.ts';
import { ALARM_RED } from '../palette.ts';

export const muckTruckLayer: EntityLayerDef = {
  kind: 'muckTruck',
  visualState: (status, attrs) => {
    const violations = attrs?.['violations'];
    return Array.isArray(violations) && violations.length > 0 ? 'violation' : status;
  },
  hitLayers: ['muck-icon'],
  pulseLayer: { id: 'muck-pulse', baseRadius: 7, growRadius: 16 },
  layers: (source, s) => [
    pulseLayerSpec('muck-pulse', source, ['all', ['==', ['get', 'st'], 'violation'], ['!=', ['get', 'cn'], 2]], ALARM_RED, s),
    {
      id: 'muck-icon', type: 'symbol', source,
      layout: {
        'icon-image': stateIcon('muckTruck'),
        'icon-size': zoomed(0.85, s),
        'icon-rotate': ['get', 'hd'],
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'symbol-sort-key': ['match', ['get', 'st'], 'violation', 3, 'loaded', 2, 1],
      },
      paint: { 'icon-opacity': CONNECTIVITY_OPACITY },
    },
  ],
};
