/** Status colours shared by the map layers and the legend. */
import type { EntityKind } from '../../shared/entities.ts';

export const OFFLINE_COLOR = '#4d5a6c';
export const ALARM_RED = '#ff4d5e';
export const ALERT_AMBER = '#ffb020';

/** Colour per visual state (see each layer's `visualState`). */
export const STATE_COLORS: Record<EntityKind, Record<string, string>> = {
  staff: { onDuty: '#35e3ff', offDuty: '#5f7fa3', sos: ALARM_RED },
  vehicle: { working: '#2ee6a6', idle: '#4ca8ff', parked: '#3f6fae' },
  muckTruck: { loaded: ALERT_AMBER, empty: '#e3dc5a', parked: '#b07a32', violation: ALARM_RED },
  toilet: { open: '#36e0d0', cleaning: '#b18cff', closed: '#6a7d96', alarm: ALARM_RED },
  bin: { ok: '#3ddc84', full: ALERT_AMBER, overflow: ALARM_RED },
};

/** The colour a kind is known by (legend swatches, chart series). */
export const KIND_COLORS: Record<EntityKind, string> = {
  staff: '#35e3ff',
  vehicle: '#2ee6a6',
  muckTruck: '#ffb020',
  toilet: '#b18cff',
  bin: '#3ddc84',
};
