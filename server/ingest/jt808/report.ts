/**
 * A terminal's location report → one ingest update: position and fix validity, the alarm
 * and status words mapped to the attributes of vehicles and muck trucks (SOS, ACC, the raw
 * alarm word), the common additional items (mileage, fuel, RSSI, satellites), and a muck
 * truck's load and lid from the status bits or vendor item this deployment configures.
 */
import type { EntityKind } from '../../../shared/entities.ts';
import type { IngestUpdate } from '../types.ts';
import { ALARM_SOS, STATUS_ACC, STATUS_FIX, type Jt808Location } from './location.ts';

/**
 * Where a muck truck's terminal reports a boolean: a status bit, or the first byte of a
 * vendor additional item (non-zero = true), optionally inverted; 'standard' reads the load
 * state of JT/T 808-2013 status bits 8–9 (00 empty, 01 half, 11 full).
 */
export type SignalSource =
  | { from: 'off' }
  | { from: 'standardLoad' }
  | { from: 'bit'; bit: number; invert: boolean }
  | { from: 'tlv'; id: number; invert: boolean };

export interface MuckSignals {
  loaded: SignalSource;
  lidSealed: SignalSource;
}

export const DEFAULT_MUCK_SIGNALS: MuckSignals = { loaded: { from: 'standardLoad' }, lidSealed: { from: 'off' } };

/** Parses `off`, `standard`, `bit:N`, `!bit:N`, `tlv:0xNN`, `!tlv:0xNN` (JT808_MUCK_LOAD, JT808_MUCK_LID). */
export function parseSignalSource(spec: string, allowStandard: boolean): SignalSource | undefined {
  if (spec === 'off') return { from: 'off' };
  if (spec === 'standard') return allowStandard ? { from: 'standardLoad' } : undefined;
  const m = /^(!?)(bit|tlv):(0x[0-9a-fA-F]{1,2}|[0-9]{1,3})$/.exec(spec);
  if (!m) return undefined;
  const n = Number(m[3]);
  const invert = m[1] === '!';
  if (m[2] === 'bit') return n <= 31 ? { from: 'bit', bit: n, invert } : undefined;
  return n <= 255 ? { from: 'tlv', id: n, invert } : undefined;
}

function readSignal(s: SignalSource, loc: Jt808Location): boolean | undefined {
  switch (s.from) {
    case 'off': return undefined;
    case 'standardLoad': return ((loc.status >>> 8) & 0b11) !== 0;
    case 'bit': return (((loc.status >>> s.bit) & 1) === 1) !== s.invert;
    case 'tlv': {
      const v = loc.tlv.get(s.id);
      if (v === undefined || v.length === 0) return undefined;
      return (v[0] !== 0) !== s.invert;
    }
  }
}

export function locationToUpdate(deviceId: string, loc: Jt808Location, kind: EntityKind | undefined, muck: MuckSignals): IngestUpdate {
  const acc = (loc.status & STATUS_ACC) !== 0;
  const sos = (loc.alarm & ALARM_SOS) !== 0;
  const update: IngestUpdate = {
    source: 'jt808',
    deviceId,
    ts: loc.ts,
    pos: { lon: loc.lon, lat: loc.lat, speed: loc.speedKph, heading: loc.course, valid: (loc.status & STATUS_FIX) !== 0 },
  };
  if (kind === 'vehicle' || kind === 'muckTruck') {
    const attrs: Record<string, unknown> = { sos, acc, terminalAlarms: loc.alarm };
    for (const k of ['mileageKm', 'fuelL', 'rssi', 'satellites'] as const) if (loc.extras[k] !== undefined) attrs[k] = loc.extras[k];
    const moving = loc.speedKph > 0;
    if (kind === 'muckTruck') {
      const loaded = readSignal(muck.loaded, loc);
      const lidSealed = readSignal(muck.lidSealed, loc);
      if (loaded !== undefined) attrs.loaded = loaded;
      if (lidSealed !== undefined) attrs.lidSealed = lidSealed;
      if (!acc && !moving) update.status = 'parked';
      else if (loaded !== undefined) update.status = loaded ? 'loaded' : 'empty';
    } else {
      // A terminal cannot tell sweeping from driving: it says parked or not, the rest is the crew's.
      update.status = !acc && !moving ? 'parked' : 'idle';
    }
    update.attrs = attrs;
  } else if (kind === 'staff') {
    update.attrs = { sos };
    if (sos) update.status = 'sos';
  }
  return update;
}
