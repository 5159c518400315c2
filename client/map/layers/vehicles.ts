/** 环卫车辆 — sanitation vehicles: heading arrows, working green vs idle blue. */
import type { EntityLayerDef } from './entity-layer.ts';
import { CONNECTIVITY_OPACITY, stateIcon, zoomed } from './entity-layer.ts';

export const vehicleLayer: EntityLayerDef = {
  kind: 'vehicle',
  visualState: (status) => status,
  hitLayers: ['vehicle-icon'],
  layers: (source, s) => [
    {
      id: 'vehicle-icon', type: 'symbol', source,
      layout: {
        'icon-image': stateIcon('vehicle'),
        'icon-size': zoomed(0.78, s),
        'icon-rotate': ['get', 'hd'],
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'symbol-sort-key': ['match', ['get', 'st'], 'working', 2, 1],
      },
      paint: { 'icon-opacity': CONNECTIVITY_OPACITY },
    },
  ],
};
