/**
 * The dynamic state of every entity in the units the live protocol's format 2 carries —
 * quantised integers in typed arrays indexed by catalog index. The server keeps one per tick
 * (the state a screen holds after that tick's frame); a screen keeps one as the base its next
 * delta is applied to. Both sides hold the same integers, so "the screen equals the server"
 * is an exact comparison, and a delta is the difference of two of these.
 */
import type { Connectivity, Position } from './entities.ts';
import { CONNECTIVITY } from './entities.ts';

/** Heading column value when the device gave none. */
export const NO_HEADING = 0xffff;

/** One entity's state in wire units. */
export interface ColumnRow {
  hasPos: boolean;
  /** 1e-6 degrees (≈ 0.1 m). */
  lon: number;
  lat: number;
  /** Fix time, whole seconds since the epoch. */
  fixSec: number;
  /** Last report of any kind, whole seconds since the epoch. */
  seenSec: number;
  /** 0.1 km/h. */
  speed10: number;
  /** Whole degrees 0–359, or NO_HEADING. */
  heading: number;
  status: number;
  conn: number;
  /** Increases whenever the attributes change (the server's attrsVersion; a counter on screens). */
  attrsVersion: number;
  attrs: Record<string, unknown> | undefined;
}

export class LiveColumns {
  /** 1: the entity is held (known and, for a screen, inside its subscription). */
  present: Uint8Array;
  hasPos: Uint8Array;
  lon: Int32Array;
  lat: Int32Array;
  fixSec: Float64Array;
  seenSec: Float64Array;
  speed10: Uint16Array;
  heading: Uint16Array;
  status: Uint8Array;
  conn: Uint8Array;
  attrsVersion: Float64Array;
  attrs: (Record<string, unknown> | undefined)[];

  constructor(readonly size: number) {
    this.present = new Uint8Array(size);
    this.hasPos = new Uint8Array(size);
    this.lon = new Int32Array(size);
    this.lat = new Int32Array(size);
    this.fixSec = new Float64Array(size);
    this.seenSec = new Float64Array(size);
    this.speed10 = new Uint16Array(size);
    this.heading = new Uint16Array(size).fill(NO_HEADING);
    this.status = new Uint8Array(size);
    this.conn = new Uint8Array(size);
    this.attrsVersion = new Float64Array(size);
    this.attrs = new Array<Record<string, unknown> | undefined>(size).fill(undefined);
  }

  /** A copy of `src` with `size` rows (≥ src.size: the catalog only grows), reusing `into` when it has that size. */
  static copyOf(src: LiveColumns, size: number, into?: LiveColumns): LiveColumns {
    const out = into && into.size === size ? into : new LiveColumns(size);
    const n = Math.min(src.size, size);
    out.present.set(src.present.subarray(0, n));
    out.hasPos.set(src.hasPos.subarray(0, n));
    out.lon.set(src.lon.subarray(0, n));
    out.lat.set(src.lat.subarray(0, n));
    out.fixSec.set(src.fixSec.subarray(0, n));
    out.seenSec.set(src.seenSec.subarray(0, n));
    out.speed10.set(src.speed10.subarray(0, n));
    out.heading.set(src.heading.subarray(0, n));
    out.status.set(src.status.subarray(0, n));
    out.conn.set(src.conn.subarray(0, n));
    out.attrsVersion.set(src.attrsVersion.subarray(0, n));
    for (let i = 0; i < n; i++) out.attrs[i] = src.attrs[i];
    for (let i = n; i < size; i++) out.clear(i);
    return out;
  }

  /** Forgets row i (an entity not held: outside the subscription, or unknown). */
  clear(i: number): void {
    this.present[i] = 0;
    this.hasPos[i] = 0;
    this.lon[i] = 0;
    this.lat[i] = 0;
    this.fixSec[i] = 0;
    this.seenSec[i] = 0;
    this.speed10[i] = 0;
    this.heading[i] = NO_HEADING;
    this.status[i] = 0;
    this.conn[i] = 0;
    this.attrsVersion[i] = 0;
    this.attrs[i] = undefined;
  }

  clearAll(): void {
    for (let i = 0; i < this.size; i++) this.clear(i);
  }

  row(i: number): ColumnRow {
    return {
      hasPos: this.hasPos[i] === 1, lon: this.lon[i]!, lat: this.lat[i]!, fixSec: this.fixSec[i]!, seenSec: this.seenSec[i]!,
      speed10: this.speed10[i]!, heading: this.heading[i]!, status: this.status[i]!, conn: this.conn[i]!,
      attrsVersion: this.attrsVersion[i]!, attrs: this.attrs[i],
    };
  }

  set(i: number, r: ColumnRow): void {
    this.present[i] = 1;
    this.hasPos[i] = r.hasPos ? 1 : 0;
    this.lon[i] = r.hasPos ? r.lon : 0;
    this.lat[i] = r.hasPos ? r.lat : 0;
    this.fixSec[i] = r.hasPos ? r.fixSec : 0;
    this.seenSec[i] = r.seenSec;
    this.speed10[i] = r.hasPos ? r.speed10 : 0;
    this.heading[i] = r.hasPos ? r.heading : NO_HEADING;
    this.status[i] = r.status;
    this.conn[i] = r.conn;
    this.attrsVersion[i] = r.attrsVersion;
    this.attrs[i] = r.attrs;
  }

  /** Row i in the units the rest of the client uses (degrees, ms), as a decoded format-1 row would be. */
  position(i: number): Position | undefined {
    if (this.hasPos[i] !== 1) return undefined;
    const heading = this.heading[i]!;
    return {
      lon: this.lon[i]! / 1e6, lat: this.lat[i]! / 1e6, ts: this.fixSec[i]! * 1000, speed: this.speed10[i]! / 10,
      ...(heading !== NO_HEADING ? { heading } : {}),
    };
  }

  connectivity(i: number): Connectivity {
    return CONNECTIVITY[this.conn[i]!] ?? 'offline';
  }
}

/** Wire units of a position: the quantisation both sides agree on. */
export function quantisePosition(p: Position): Pick<ColumnRow, 'lon' | 'lat' | 'fixSec' | 'speed10' | 'heading'> {
  return {
    lon: Math.round(p.lon * 1e6),
    lat: Math.round(p.lat * 1e6),
    fixSec: Math.round(p.ts / 1000),
    speed10: p.speed !== undefined && Number.isFinite(p.speed) ? Math.min(0xfffe, Math.max(0, Math.round(p.speed * 10))) : 0,
    heading: p.heading !== undefined && Number.isFinite(p.heading) ? ((Math.round(p.heading) % 360) + 360) % 360 : NO_HEADING,
  };
}
