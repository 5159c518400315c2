/** 环卫车辆 — sanitation vehicles: heading arrows, working green vs idle blue. */
import type { EntityLayerDef } from './entity-layer.ts';
import { headingIconLayer } from './entity-layer.ts';

export const vehicleLayer: EntityLayerDef = {
  kind: 'vehicle',
  visualState: (status) => status,
  hitLayers: ['vehicle-icon'],
  layers: (source, s) => [
    headingIconLayer('vehicle-icon', source, 'vehicle', 0.78, ['match', ['get', 'st'], 'working', 2, 1], s),
  ],
};
