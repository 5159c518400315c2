/** 作业人员 — field staff: small dots, SOS in pulsing red; ~1,500, so one in two at district zoom (SOS always). */
import type { EntityLayerDef } from './entity-layer.ts';
import { CONNECTIVITY_OPACITY, pulseLayerSpec, stateColor, zoomed } from './entity-layer.ts';
import { ALARM_RED } from '../palette.ts';

export const staffLayer: EntityLayerDef = {
  kind: 'staff',
  visualState: (status) => status,
  hitLayers: ['staff-dot'],
  districtKeepOneIn: 2,
  alwaysShown: ['sos'],
  pulseLayer: { id: 'staff-pulse', baseRadius: 5, growRadius: 16 },
  layers: (source, s) => [
    pulseLayerSpec('staff-pulse', source, ['==', ['get', 'st'], 'sos'], ALARM_RED, s),
    {
      id: 'staff-dot', type: 'circle', source,
      paint: {
        'circle-radius': zoomed(['case', ['==', ['get', 'st'], 'sos'], 5, 2.8], s),
        'circle-color': stateColor('staff'),
        'circle-opacity': CONNECTIVITY_OPACITY,
        'circle-stroke-color': '#021025',
        'circle-stroke-width': 0.8 * s,
        'circle-stroke-opacity': CONNECTIVITY_OPACITY,
      },
    },
  ],
};
