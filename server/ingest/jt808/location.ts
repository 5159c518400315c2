/**
 * The location body (位置信息汇报) shared by 0x0200, each item of 0x0704 and the answer to a
 * position query (0x0201): alarm word, status word, latitude/longitude (u32 × 1e-6°, the
 * hemisphere in status bits 2 and 3), altitude, speed (× 0.1 km/h), course, BCD time, then
 * the additional-information items (附加信息, TLV: id u8, length u8, value).
 */

export interface Jt808Location {
  /** Raw alarm word (报警标志). Bit 0 emergency (SOS), bit 1 overspeed. */
  alarm: number;
  /** Raw status word (状态). Bit 0 ACC on, bit 1 fix valid, bit 2 south, bit 3 west. */
  status: number;
  lat: number;
  lon: number;
  altitudeM: number;
  speedKph: number;
  course: number;
  /** Fix time, ms since epoch (UTC). */
  ts: number;
  /** The raw BCD time, YYMMDDhhmmss, as the terminal sent it. */
  timeBcd: string;
  /** Common additional items, decoded (only the ones present). */
  extras: { mileageKm?: number; fuelL?: number; recorderSpeedKph?: number; rssi?: number; satellites?: number };
  /** Every additional item by id, raw (vendor items like a muck truck's lid sensor are read from here). */
  tlv: Map<number, Buffer>;
  /** Set when the additional items do not parse as TLV (a vendor's fixed tail, a truncated item): the items before it are kept. */
  tlvProblem?: string;
}

export const ALARM_SOS = 1 << 0;
export const ALARM_OVERSPEED = 1 << 1;
export const STATUS_ACC = 1 << 0;
export const STATUS_FIX = 1 << 1;
const STATUS_SOUTH = 1 << 2;
const STATUS_WEST = 1 << 3;

/** The fixed part before the additional items. */
export const LOCATION_FIXED_BYTES = 28;

export type LocationDecode = { ok: true; location: Jt808Location } | { ok: false; detail: string };

/**
 * @param tzOffsetMin offset of the terminal's clock from UTC; the standard says GMT+8
 * (480), some devices outside China send UTC.
 */
export function decodeLocation(b: Buffer, tzOffsetMin: number, start = 0, end = b.length): LocationDecode {
  if (end - start < LOCATION_FIXED_BYTES) return { ok: false, detail: `location needs ${LOCATION_FIXED_BYTES} bytes, has ${end - start}` };
  const alarm = b.readUInt32BE(start);
  const status = b.readUInt32BE(start + 4);
  let lat = b.readUInt32BE(start + 8) / 1e6;
  let lon = b.readUInt32BE(start + 12) / 1e6;
  if (status & STATUS_SOUTH) lat = -lat;
  if (status & STATUS_WEST) lon = -lon;
  const ts = bcdTimeAt(b, start + 22, tzOffsetMin);
  const timeBcd = b.toString('hex', start + 22, start + 28);
  if (ts === undefined) return { ok: false, detail: `time ${timeBcd} is not a BCD date` };
  const location: Jt808Location = {
    alarm, status, lat, lon,
    altitudeM: b.readInt16BE(start + 16),
    speedKph: b.readUInt16BE(start + 18) / 10,
    course: b.readUInt16BE(start + 20),
    ts, timeBcd, extras: {}, tlv: new Map(),
  };
  readAdditional(b, start + LOCATION_FIXED_BYTES, end, location);
  return { ok: true, location };
}

function readAdditional(b: Buffer, at: number, end: number, loc: Jt808Location): void {
  while (at < end) {
    if (end - at < 2) {
      loc.tlvProblem = `${end - at} stray byte after the additional items`;
      return;
    }
    const id = b[at]!;
    const len = b[at + 1]!;
    if (at + 2 + len > end) {
      loc.tlvProblem = `item 0x${id.toString(16).padStart(2, '0')} declares ${len} bytes, ${end - at - 2} left`;
      return;
    }
    const v = b.subarray(at + 2, at + 2 + len);
    loc.tlv.set(id, v);
    at += 2 + len;
    // A known id with an unexpected length is kept raw and not decoded: a wrong-sized value is
    // a vendor's variant, not something to guess at.
    switch (id) {
      case 0x01: if (len === 4) loc.extras.mileageKm = v.readUInt32BE(0) / 10; break;
      case 0x02: if (len === 2) loc.extras.fuelL = v.readUInt16BE(0) / 10; break;
      case 0x03: if (len === 2) loc.extras.recorderSpeedKph = v.readUInt16BE(0) / 10; break;
      case 0x30: if (len === 1) loc.extras.rssi = v[0]!; break;
      case 0x31: if (len === 1) loc.extras.satellites = v[0]!; break;
      default: break;
    }
  }
}

/** YYMMDDhhmmss in the terminal's zone → ms since epoch, or undefined when it is no date. */
export function bcdTime(digits: string, tzOffsetMin: number): number | undefined {
  if (!/^[0-9]{12}$/.test(digits)) return undefined;
  return bcdTimeAt(Buffer.from(digits, 'hex'), 0, tzOffsetMin);
}

/** The same from the six BCD bytes at `at` (the decode path: no string, no allocation). */
function bcdTimeAt(b: Buffer, at: number, tzOffsetMin: number): number | undefined {
  let bad = false;
  const two = (k: number): number => {
    const v = b[at + k]!;
    const hi = v >> 4;
    const lo = v & 0xf;
    if (hi > 9 || lo > 9) bad = true;
    return hi * 10 + lo;
  };
  const yy = two(0), mo = two(1), dd = two(2), hh = two(3), mi = two(4), ss = two(5);
  if (bad || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) return undefined;
  const utc = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  // Date.UTC rolls 31 February into March: a day the month does not have is no date.
  if (dd > 28 && new Date(utc).getUTCDate() !== dd) return undefined;
  return utc - tzOffsetMin * 60_000;
}

/** Encodes a location body (the emulator's reports; tests). */
export function encodeLocation(l: {
  alarm?: number; status?: number; lat: number; lon: number; altitudeM?: number; speedKph?: number; course?: number; ts: number;
  tlv?: Array<[number, Uint8Array]>;
}, tzOffsetMin = 480): Buffer {
  const extra = (l.tlv ?? []).reduce((s, [, v]) => s + 2 + v.length, 0);
  const b = Buffer.alloc(LOCATION_FIXED_BYTES + extra);
  let status = l.status ?? STATUS_FIX;
  if (l.lat < 0) status |= STATUS_SOUTH;
  if (l.lon < 0) status |= STATUS_WEST;
  b.writeUInt32BE((l.alarm ?? 0) >>> 0, 0);
  b.writeUInt32BE(status >>> 0, 4);
  b.writeUInt32BE(Math.round(Math.abs(l.lat) * 1e6), 8);
  b.writeUInt32BE(Math.round(Math.abs(l.lon) * 1e6), 12);
  b.writeInt16BE(l.altitudeM ?? 0, 16);
  b.writeUInt16BE(Math.round((l.speedKph ?? 0) * 10), 18);
  b.writeUInt16BE(Math.round(l.course ?? 0) % 360, 20);
  const d = new Date(l.ts + tzOffsetMin * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  b.write(`${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`, 22, 6, 'hex');
  let o = LOCATION_FIXED_BYTES;
  for (const [id, v] of l.tlv ?? []) {
    b[o++] = id;
    b[o++] = v.length;
    b.set(v, o);
    o += v.length;
  }
  return b;
}
