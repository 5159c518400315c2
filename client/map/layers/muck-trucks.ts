/** 渣土车 — muck trucks: loaded amber, empty yellow, red and pulsing in violation. */
import type { EntityLayerDef } from './entity-layer.ts';
import { headingIconLayer, pulseLayerSpec } from './entity-layer.ts';
import { ALARM_RED } from '../palette.ts';

export const muckTruckLayer: EntityLayerDef = {
  kind: 'muckTruck',
  visualState: (status, attrs) => {
    const violations = attrs?.['violations'];
    return Array.isArray(violations) && violations.length > 0 ? 'violation' : status;
  },
  hitLayers: ['muck-icon'],
  alwaysShown: ['violation'],
  pulseLayer: { id: 'muck-pulse', baseRadius: 7, growRadius: 16 },
  layers: (source, s) => [
    pulseLayerSpec('muck-pulse', source, ['all', ['==', ['get', 'st'], 'violation'], ['!=', ['get', 'cn'], 2]], ALARM_RED, s),
    headingIconLayer('muck-icon', source, 'muckTruck', 0.85, ['match', ['get', 'st'], 'violation', 3, 'loaded', 2, 1], s),
  ],
};
