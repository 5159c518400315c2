/**
 * The live-protocol codec: the one place that knows how entity state travels to screens.
 *
 * A frame is a little-endian binary buffer, columnar so that 5,000 moving entities cost
 * ~30 bytes each rather than a JSON object each:
 *
 *   header  u16 magic 0xC17E · u8 format · u8 flags (bit0 full) · f64 version · f64 baseVersion
 *           f64 serverTime · u32 count · u32 attrsBytes
 *   columns (count each) i32 lon·1e6 (NO_POS when none) · i32 lat·1e6 · i32 fixAge s (serverTime − ts)
 *           i32 lastSeenAge s · u32 index · u16 speed·10 km/h · u16 heading ° · u8 status code · u8 connectivity code
 *   attrs   UTF-8 JSON `[[index, attrs], …]` for entities whose attributes changed
 *
 * Format 1 stays for replay streams and for tools that ask for it; screens negotiate format 2
 * (below) in their handshake.
 *
 * Coordinates are quantised to 1e-6° (≈ 0.1 m), times to whole seconds.
 */
import { LiveColumns, NO_HEADING, type ColumnRow } from './live-columns.ts';
import { CONNECTIVITY, ENTITY_STATUSES, type Connectivity, type EntityKind, type EntityStatus, type Position } from './entities.ts';

const MAGIC = 0xc17e;
const FORMAT = 1;
const HEADER_BYTES = 2 + 1 + 1 + 8 + 8 + 8 + 4 + 4;
const ROW_BYTES = 4 * 5 + 2 * 2 + 1 * 2;
const NO_POS = -0x80000000;

export interface LiveRow {
  /** Catalog index */
  i: number;
  kind: EntityKind;
  status: string;
  connectivity: Connectivity;
  pos?: Position | undefined;
  lastSeen: number;
  /** Present only when the attributes changed since the client's base version. */
  attrs?: object | undefined;
}

export interface LiveFrame {
  full: boolean;
  version: number;
  baseVersion: number;
  serverTime: number;
  rows: DecodedRow[];
}

export interface DecodedRow {
  i: number;
  statusCode: number;
  connectivity: Connectivity;
  pos?: Position;
  lastSeen: number;
  attrs?: Record<string, unknown>;
}

export class LiveCodecError extends Error {
  override name = 'LiveCodecError';
}

export function statusCode(kind: EntityKind, status: string): number {
  const code = (ENTITY_STATUSES[kind] as readonly string[]).indexOf(status);
  if (code < 0) throw new LiveCodecError(`unknown status "${status}" for kind ${kind}`);
  return code;
}

export function statusFromCode<K extends EntityKind>(kind: K, code: number): EntityStatus<K> {
  const status = (ENTITY_STATUSES[kind] as readonly string[])[code];
  if (status === undefined) throw new LiveCodecError(`unknown status code ${code} for kind ${kind}`);
  return status as EntityStatus<K>;
}

/** Where each column of an n-row frame starts, widest first so every column stays aligned. */
function columnOffsets(start: number, n: number) {
  const lonAt = start;
  const latAt = lonAt + 4 * n;
  const fixAgeAt = latAt + 4 * n;
  const seenAgeAt = fixAgeAt + 4 * n;
  const indexAt = seenAgeAt + 4 * n;
  const speedAt = indexAt + 4 * n;
  const headingAt = speedAt + 2 * n;
  const statusAt = headingAt + 2 * n;
  const connAt = statusAt + n;
  return { lonAt, latAt, fixAgeAt, seenAgeAt, indexAt, speedAt, headingAt, statusAt, connAt };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function ageSeconds(serverTime: number, ts: number): number {
  return Math.max(-0x7fffffff, Math.min(0x7fffffff, Math.round((serverTime - ts) / 1000)));
}

export function encodeLiveFrame(
  header: { full: boolean; version: number; baseVersion: number; serverTime: number },
  rows: readonly LiveRow[],
): Uint8Array {
  const attrs: [number, object][] = [];
  for (const r of rows) if (r.attrs !== undefined) attrs.push([r.i, r.attrs]);
  const attrsBytes = attrs.length ? encoder.encode(JSON.stringify(attrs)) : new Uint8Array(0);
  const n = rows.length;
  const out = new Uint8Array(HEADER_BYTES + n * ROW_BYTES + attrsBytes.length);
  const dv = new DataView(out.buffer);
  let o = 0;
  dv.setUint16(o, MAGIC, true); o += 2;
  dv.setUint8(o, FORMAT); o += 1;
  dv.setUint8(o, header.full ? 1 : 0); o += 1;
  dv.setFloat64(o, header.version, true); o += 8;
  dv.setFloat64(o, header.baseVersion, true); o += 8;
  dv.setFloat64(o, header.serverTime, true); o += 8;
  dv.setUint32(o, n, true); o += 4;
  dv.setUint32(o, attrsBytes.length, true); o += 4;
  const { lonAt, latAt, fixAgeAt, seenAgeAt, indexAt, speedAt, headingAt, statusAt, connAt } = columnOffsets(o, n);
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    const p = r.pos;
    dv.setInt32(lonAt + 4 * k, p ? Math.round(p.lon * 1e6) : NO_POS, true);
    dv.setInt32(latAt + 4 * k, p ? Math.round(p.lat * 1e6) : NO_POS, true);
    dv.setInt32(fixAgeAt + 4 * k, p ? ageSeconds(header.serverTime, p.ts) : 0, true);
    dv.setInt32(seenAgeAt + 4 * k, ageSeconds(header.serverTime, r.lastSeen), true);
    dv.setUint32(indexAt + 4 * k, r.i, true);
    dv.setUint16(speedAt + 2 * k, p?.speed !== undefined ? Math.min(0xffff, Math.max(0, Math.round(p.speed * 10))) : 0, true);
    dv.setUint16(headingAt + 2 * k, p?.heading !== undefined ? Math.round(((p.heading % 360) + 360) % 360) : NO_HEADING, true);
    dv.setUint8(statusAt + k, statusCode(r.kind, r.status));
    dv.setUint8(connAt + k, CONNECTIVITY.indexOf(r.connectivity));
  }
  out.set(attrsBytes, connAt + n);
  return out;
}

export function decodeLiveFrame(input: Uint8Array | ArrayBuffer): LiveFrame {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < HEADER_BYTES) throw new LiveCodecError(`frame too short: ${bytes.byteLength} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  const magic = dv.getUint16(o, true); o += 2;
  if (magic !== MAGIC) throw new LiveCodecError(`bad magic 0x${magic.toString(16)}`);
  const format = dv.getUint8(o); o += 1;
  if (format !== FORMAT) throw new LiveCodecError(`unsupported frame format ${format}`);
  const full = (dv.getUint8(o) & 1) === 1; o += 1;
  const version = dv.getFloat64(o, true); o += 8;
  const baseVersion = dv.getFloat64(o, true); o += 8;
  const serverTime = dv.getFloat64(o, true); o += 8;
  const n = dv.getUint32(o, true); o += 4;
  const attrsLen = dv.getUint32(o, true); o += 4;
  if (bytes.byteLength !== HEADER_BYTES + n * ROW_BYTES + attrsLen) {
    throw new LiveCodecError(`frame length ${bytes.byteLength} does not match ${n} rows and ${attrsLen} attribute bytes`);
  }
  const { lonAt, latAt, fixAgeAt, seenAgeAt, indexAt, speedAt, headingAt, statusAt, connAt } = columnOffsets(o, n);
  const rows: DecodedRow[] = new Array(n);
  const byIndex = new Map<number, DecodedRow>();
  for (let k = 0; k < n; k++) {
    const conn = CONNECTIVITY[dv.getUint8(connAt + k)];
    if (conn === undefined) throw new LiveCodecError(`bad connectivity code at row ${k}`);
    const row: DecodedRow = {
      i: dv.getUint32(indexAt + 4 * k, true),
      statusCode: dv.getUint8(statusAt + k),
      connectivity: conn,
      lastSeen: serverTime - dv.getInt32(seenAgeAt + 4 * k, true) * 1000,
    };
    const lon = dv.getInt32(lonAt + 4 * k, true);
    if (lon !== NO_POS) {
      const heading = dv.getUint16(headingAt + 2 * k, true);
      row.pos = {
        lon: lon / 1e6,
        lat: dv.getInt32(latAt + 4 * k, true) / 1e6,
        ts: serverTime - dv.getInt32(fixAgeAt + 4 * k, true) * 1000,
        speed: dv.getUint16(speedAt + 2 * k, true) / 10,
        ...(heading !== NO_HEADING ? { heading } : {}),
      };
    }
    rows[k] = row;
    byIndex.set(row.i, row);
  }
  if (attrsLen > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(bytes.subarray(connAt + n, connAt + n + attrsLen)));
    } catch (err) {
      throw new LiveCodecError(`attribute section is not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new LiveCodecError('attribute section is not an array');
    for (const item of parsed) {
      if (!Array.isArray(item) || typeof item[0] !== 'number' || typeof item[1] !== 'object' || item[1] === null) {
        throw new LiveCodecError('attribute entry is not [index, object]');
      }
      const row = byIndex.get(item[0]);
      if (!row) throw new LiveCodecError(`attributes for index ${item[0]} which has no row`);
      row.attrs = item[1] as Record<string, unknown>;
    }
  }
  return { full, version, baseVersion, serverTime, rows };
}

/*
 * ── Format 2 ─────────────────────────────────────────────────────────────────────────────
 * A frame is the difference between two LiveColumns (shared/live-columns.ts): the state the
 * screen holds (its base) and the state it is to hold. A moved entity costs a few bytes:
 *
 *   header  u16 magic 0xC17E · u8 format 2 · u8 flags (bit0 full) · varint version · varint baseVersion
 *           varint serverTime ms · varint rows · varint attrsBytes
 *   rows    zigzag index gap (from the previous row; −1 before the first) · u8 fields [· u8 more]
 *           then, when flagged: zz Δlon · zz Δlat (1e-6°) · zz Δfix s · varint speed·10
 *           · varint heading+1 (0: none) · varint status · varint connectivity · zz Δlast-seen s
 *   attrs   UTF-8 JSON `[[index, attrs], …]` — an entity's whole attributes when they changed
 *   crc     u32 CRC-32 of everything before it, so a damaged frame is refused, never applied
 *
 * Every field is predicted from the base and sent only when the prediction is wrong: status and
 * connectivity only when they changed; last-seen moves with the fix time; an entity the screen
 * does not hold (ENTER) is predicted from the previous row's position and the frame's time, so a
 * full frame of a district whose entities are listed street by street stays small too.
 */

export const FORMAT_V2 = 2;
const F_POS = 1, F_TIME = 2, F_SPEED = 4, F_HEADING = 8, F_STATUS = 16, F_CONN = 32, F_SEEN = 64, F_MORE = 128;
const M_NOPOS = 1, M_LEAVE = 2, M_ENTER = 4;
/** Upper bound of one encoded row (index gap 8, flags 2, seven varints of at most 8). */
const MAX_ROW_BYTES = 8 + 2 + 7 * 8 + 2;
const MAX_LON = 180_000_000, MAX_LAT = 90_000_000;

export interface FrameHeaderV2 {
  full: boolean;
  version: number;
  baseVersion: number;
  serverTime: number;
}

/** A decoded format-2 row: differences, meaningful only against the base they were built on. */
export interface RowV2 {
  i: number;
  fields: number;
  more: number;
  dLon: number;
  dLat: number;
  dFix: number;
  speed10: number;
  heading: number;
  status: number;
  conn: number;
  dSeen: number;
  attrs?: Record<string, unknown>;
}

export interface LiveFrameV2 extends FrameHeaderV2 {
  rows: RowV2[];
}

const EMPTY_ROW: ColumnRow = { hasPos: false, lon: 0, lat: 0, fixSec: 0, seenSec: 0, speed10: 0, heading: NO_HEADING, status: 0, conn: 0, attrsVersion: 0, attrs: undefined };

const zz = (n: number): number => (n >= 0 ? 2 * n : -2 * n - 1);
const unzz = (z: number): number => (z % 2 === 0 ? z / 2 : -(z + 1) / 2);

class Writer {
  o = 0;
  constructor(public buf: Uint8Array) {}
  u8(b: number): void { this.buf[this.o++] = b; }
  varint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new LiveCodecError(`cannot encode ${n} as a varint`);
    while (n >= 0x80) {
      this.buf[this.o++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.o++] = n;
  }
}

class Reader {
  o: number;
  constructor(readonly bytes: Uint8Array, start: number, readonly end: number) { this.o = start; }
  u8(what: string): number {
    if (this.o >= this.end) throw new LiveCodecError(`frame truncated in ${what}`);
    return this.bytes[this.o++]!;
  }
  /** At most 8 bytes (56 bits), and within the safe integers: a runaway continuation bit cannot loop. */
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 8; k++) {
      const b = this.u8(what);
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new LiveCodecError(`${what} out of range`);
        return value;
      }
      scale *= 0x80;
    }
    throw new LiveCodecError(`${what}: varint longer than 8 bytes`);
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let k = 0; k < bytes.length; k++) c = CRC_TABLE[(c ^ bytes[k]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The format byte of a live frame (1 or 2), without decoding it. */
export function liveFrameFormat(input: Uint8Array | ArrayBuffer): number {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < 4) throw new LiveCodecError(`frame too short: ${bytes.byteLength} bytes`);
  const magic = bytes[0]! | (bytes[1]! << 8);
  if (magic !== MAGIC) throw new LiveCodecError(`bad magic 0x${magic.toString(16)}`);
  return bytes[2]!;
}

/** Where the previous row left the position reference (ENTER rows are predicted from it). */
interface Running { lon: number; lat: number }

/**
 * Encodes the change from `base` (the state the screen holds; null for a full frame) to
 * `target` for the catalog indices in `indices` (ascending). `inBase`/`inTarget` say whether an
 * entity is inside the screen's subscription in each state: one that leaves is sent as LEAVE,
 * one that enters as ENTER against nothing.
 */
export function encodeLiveFrameV2(
  header: FrameHeaderV2,
  base: LiveColumns | null,
  target: LiveColumns,
  indices: Iterable<number>,
  inBase: (cols: LiveColumns, i: number) => boolean = () => true,
  inTarget: (cols: LiveColumns, i: number) => boolean = inBase,
): Uint8Array {
  const idx = Array.isArray(indices) ? (indices as number[]) : [...indices];
  const rowsBuf = new Writer(new Uint8Array(idx.length * MAX_ROW_BYTES));
  const attrs: [number, object][] = [];
  const serverSec = Math.round(header.serverTime / 1000);
  const run: Running = { lon: 0, lat: 0 };
  let prev = -1;
  let count = 0;
  for (const i of idx) {
    const inB = !header.full && base !== null && i < base.size && base.present[i] === 1 && inBase(base, i);
    const inT = i < target.size && target.present[i] === 1 && inTarget(target, i);
    if (!inB && !inT) continue;
    const start = rowsBuf.o;
    rowsBuf.varint(zz(i - prev));
    if (!inT) {
      rowsBuf.u8(F_MORE);
      rowsBuf.u8(M_LEAVE);
    } else {
      const b = inB ? base!.row(i) : EMPTY_ROW;
      const t = target.row(i);
      const wrote = encodeRow(rowsBuf, b, t, !inB, run, serverSec);
      const attrsChanged = t.attrs !== undefined && (!inB || t.attrsVersion !== b.attrsVersion);
      if (!wrote && !attrsChanged) {
        rowsBuf.o = start; // nothing the screen does not already hold
        continue;
      }
      if (attrsChanged) attrs.push([i, t.attrs!]);
    }
    prev = i;
    count++;
  }
  const attrsBytes = attrs.length ? encoder.encode(JSON.stringify(attrs)) : new Uint8Array(0);
  const out = new Writer(new Uint8Array(4 + 5 * 8 + rowsBuf.o + attrsBytes.length + 4));
  out.u8(MAGIC & 0xff); out.u8(MAGIC >> 8); out.u8(FORMAT_V2); out.u8(header.full ? 1 : 0);
  out.varint(header.version); out.varint(header.baseVersion); out.varint(Math.round(header.serverTime));
  out.varint(count); out.varint(attrsBytes.length);
  out.buf.set(rowsBuf.buf.subarray(0, rowsBuf.o), out.o); out.o += rowsBuf.o;
  out.buf.set(attrsBytes, out.o); out.o += attrsBytes.length;
  const crc = crc32(out.buf.subarray(0, out.o));
  new DataView(out.buf.buffer).setUint32(out.o, crc, true); out.o += 4;
  return out.buf.slice(0, out.o);
}

/** The reference each field of `t` is predicted from, given the base row `b` (shared by encoder and decoder). */
function reference(b: ColumnRow, run: Running, serverSec: number) {
  return b.hasPos
    ? { lon: b.lon, lat: b.lat, fixSec: b.fixSec, speed10: b.speed10, heading: b.heading }
    : { lon: run.lon, lat: run.lat, fixSec: serverSec, speed10: 0, heading: NO_HEADING };
}
function predictSeen(b: ColumnRow, hasPos: boolean, fixSec: number): number {
  if (!hasPos) return b.seenSec;
  return fixSec + (b.hasPos ? b.seenSec - b.fixSec : 0);
}

/** Writes the row's fields; false when none differs from its prediction (and it does not enter). */
function encodeRow(w: Writer, b: ColumnRow, t: ColumnRow, enter: boolean, run: Running, serverSec: number): boolean {
  let fields = 0;
  let more = enter ? M_ENTER : 0;
  const ref = reference(b, run, serverSec);
  if (t.hasPos) {
    if (!b.hasPos || t.lon !== ref.lon || t.lat !== ref.lat) fields |= F_POS;
    if (t.fixSec !== ref.fixSec) fields |= F_TIME;
    if (t.speed10 !== ref.speed10) fields |= F_SPEED;
    if (t.heading !== ref.heading) fields |= F_HEADING;
  } else if (b.hasPos) {
    more |= M_NOPOS;
  }
  if (t.status !== b.status) fields |= F_STATUS;
  if (t.conn !== b.conn) fields |= F_CONN;
  const seenPredicted = predictSeen(b, t.hasPos, t.hasPos ? t.fixSec : 0);
  if (t.seenSec !== seenPredicted) fields |= F_SEEN;
  if (more) fields |= F_MORE;
  if (fields === 0) return false;
  w.u8(fields);
  if (more) w.u8(more);
  if (fields & F_POS) { w.varint(zz(t.lon - ref.lon)); w.varint(zz(t.lat - ref.lat)); }
  if (fields & F_TIME) w.varint(zz(t.fixSec - ref.fixSec));
  if (fields & F_SPEED) w.varint(t.speed10);
  if (fields & F_HEADING) w.varint(t.heading === NO_HEADING ? 0 : t.heading + 1);
  if (fields & F_STATUS) w.varint(t.status);
  if (fields & F_CONN) w.varint(t.conn);
  if (fields & F_SEEN) w.varint(zz(t.seenSec - seenPredicted));
  if (t.hasPos) { run.lon = t.lon; run.lat = t.lat; }
  return true;
}

/** Parses and checks a format-2 frame. Throws LiveCodecError for anything else — truncated, damaged or foreign bytes. */
export function decodeLiveFrameV2(input: Uint8Array | ArrayBuffer): LiveFrameV2 {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < 4 + 5 + 4) throw new LiveCodecError(`frame too short: ${bytes.byteLength} bytes`);
  const format = liveFrameFormat(bytes);
  if (format !== FORMAT_V2) throw new LiveCodecError(`unsupported frame format ${format}`);
  const end = bytes.byteLength - 4;
  const crc = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(end, true);
  if (crc32(bytes.subarray(0, end)) !== crc) throw new LiveCodecError('frame checksum mismatch');
  const r = new Reader(bytes, 3, end);
  const full = (r.u8('flags') & 1) === 1;
  const version = r.varint('version');
  const baseVersion = r.varint('base version');
  const serverTime = r.varint('server time');
  const count = r.varint('row count');
  const attrsLen = r.varint('attribute length');
  // Every row takes at least two bytes: a count beyond that is a lie, refused before allocating for it.
  if (count * 2 + attrsLen > end - r.o) throw new LiveCodecError(`frame declares ${count} rows and ${attrsLen} attribute bytes in ${end - r.o} bytes`);
  const rows: RowV2[] = new Array(count);
  const byIndex = new Map<number, RowV2>();
  const rowsEnd = end - attrsLen;
  const rr = new Reader(bytes, r.o, rowsEnd);
  let prev = -1;
  for (let k = 0; k < count; k++) {
    const i = prev + unzz(rr.varint('index gap'));
    if (i <= prev || i > 0x7fffffff) throw new LiveCodecError(`row ${k}: index ${i} does not follow ${prev}`);
    prev = i;
    const fields = rr.u8('row fields');
    const more = fields & F_MORE ? rr.u8('row flags') : 0;
    if (more & ~(M_NOPOS | M_LEAVE | M_ENTER)) throw new LiveCodecError(`row ${k}: unknown flags ${more}`);
    if (more & M_LEAVE && (fields !== F_MORE || more !== M_LEAVE)) throw new LiveCodecError(`row ${k}: a leaving row carries fields`);
    if (more & M_NOPOS && fields & (F_POS | F_TIME | F_SPEED | F_HEADING)) throw new LiveCodecError(`row ${k}: position fields on a row without position`);
    if (full && !(more & M_ENTER)) throw new LiveCodecError(`row ${k}: a full frame row must enter`);
    const row: RowV2 = { i, fields, more, dLon: 0, dLat: 0, dFix: 0, speed10: 0, heading: NO_HEADING, status: 0, conn: 0, dSeen: 0 };
    if (fields & F_POS) { row.dLon = unzz(rr.varint('Δlon')); row.dLat = unzz(rr.varint('Δlat')); }
    if (fields & F_TIME) row.dFix = unzz(rr.varint('Δfix time'));
    if (fields & F_SPEED) {
      row.speed10 = rr.varint('speed');
      if (row.speed10 > 0xfffe) throw new LiveCodecError(`row ${k}: speed out of range`);
    }
    if (fields & F_HEADING) {
      const h = rr.varint('heading');
      if (h > 360) throw new LiveCodecError(`row ${k}: heading out of range`);
      row.heading = h === 0 ? NO_HEADING : h - 1;
    }
    if (fields & F_STATUS) {
      row.status = rr.varint('status');
      if (row.status > 0xff) throw new LiveCodecError(`row ${k}: status code out of range`);
    }
    if (fields & F_CONN) {
      row.conn = rr.varint('connectivity');
      if (row.conn >= CONNECTIVITY.length) throw new LiveCodecError(`row ${k}: bad connectivity code`);
    }
    if (fields & F_SEEN) row.dSeen = unzz(rr.varint('Δlast seen'));
    rows[k] = row;
    byIndex.set(i, row);
  }
  if (rr.o !== rowsEnd) throw new LiveCodecError(`rows end at ${rr.o}, attributes start at ${rowsEnd}`);
  if (attrsLen > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(bytes.subarray(rowsEnd, end)));
    } catch (err) {
      throw new LiveCodecError(`attribute section is not JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new LiveCodecError('attribute section is not an array');
    for (const item of parsed) {
      if (!Array.isArray(item) || typeof item[0] !== 'number' || typeof item[1] !== 'object' || item[1] === null || Array.isArray(item[1])) {
        throw new LiveCodecError('attribute entry is not [index, object]');
      }
      const row = byIndex.get(item[0]);
      if (!row || row.more & M_LEAVE) throw new LiveCodecError(`attributes for index ${item[0]} which has no row`);
      row.attrs = item[1] as Record<string, unknown>;
    }
  }
  return { full, version, baseVersion, serverTime, rows };
}

/**
 * Applies a decoded format-2 frame to the columns the screen holds (a full frame replaces
 * them). All or nothing: every row is checked before any is written. Returns the catalog
 * indices whose state the frame touched, ascending.
 */
export function applyLiveFrameV2(cols: LiveColumns, frame: LiveFrameV2): number[] {
  const serverSec = Math.round(frame.serverTime / 1000);
  const n = frame.rows.length;
  // Staged in typed arrays, not a row object per entity: a wall applies 20,000 rows a second,
  // and per-row objects kept this function out of the optimising compiler in the benchmark.
  const st = staging(n);
  let runLon = 0;
  let runLat = 0;
  for (let k = 0; k < n; k++) {
    const row = frame.rows[k]!;
    const i = row.i;
    if (i >= cols.size) throw new LiveCodecError(`row for index ${i}, beyond the ${cols.size} entities held`);
    if (row.more & M_LEAVE) { st.leave[k] = 1; continue; }
    st.leave[k] = 0;
    const enter = (row.more & M_ENTER) !== 0;
    if (!enter && cols.present[i] !== 1) throw new LiveCodecError(`delta row for index ${i}, which this screen does not hold`);
    // The base row (nothing when entering) and the reference each field is predicted from — as reference() and predictSeen().
    const bHas = !enter && cols.hasPos[i] === 1;
    const bFix = bHas ? cols.fixSec[i]! : 0;
    const bSeen = enter ? 0 : cols.seenSec[i]!;
    const rLon = bHas ? cols.lon[i]! : runLon;
    const rLat = bHas ? cols.lat[i]! : runLat;
    const rFix = bHas ? bFix : serverSec;
    const hasPos = row.fields & F_POS ? true : row.more & M_NOPOS ? false : bHas;
    const lon = hasPos ? rLon + row.dLon : 0;
    const lat = hasPos ? rLat + row.dLat : 0;
    const fixSec = hasPos ? rFix + row.dFix : 0;
    if (hasPos && (Math.abs(lon) > MAX_LON || Math.abs(lat) > MAX_LAT)) throw new LiveCodecError(`row ${i}: position outside the globe`);
    st.hasPos[k] = hasPos ? 1 : 0;
    st.lon[k] = lon;
    st.lat[k] = lat;
    st.fixSec[k] = fixSec;
    st.speed10[k] = hasPos ? (row.fields & F_SPEED ? row.speed10 : bHas ? cols.speed10[i]! : 0) : 0;
    st.heading[k] = hasPos ? (row.fields & F_HEADING ? row.heading : bHas ? cols.heading[i]! : NO_HEADING) : NO_HEADING;
    st.status[k] = row.fields & F_STATUS ? row.status : enter ? 0 : cols.status[i]!;
    st.conn[k] = row.fields & F_CONN ? row.conn : enter ? 0 : cols.conn[i]!;
    st.seenSec[k] = (hasPos ? fixSec + (bHas ? bSeen - bFix : 0) : bSeen) + row.dSeen;
    st.enter[k] = enter ? 1 : 0;
    if (hasPos) { runLon = lon; runLat = lat; }
  }
  if (frame.full) cols.clearAll();
  const touched: number[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const row = frame.rows[k]!;
    const i = row.i;
    touched[k] = i;
    if (st.leave[k] === 1) { cols.clear(i); continue; }
    const baseAttrsVersion = st.enter[k] === 1 ? 0 : cols.attrsVersion[i]!;
    const baseAttrs = st.enter[k] === 1 ? undefined : cols.attrs[i];
    cols.present[i] = 1;
    cols.hasPos[i] = st.hasPos[k]!;
    cols.lon[i] = st.lon[k]!;
    cols.lat[i] = st.lat[k]!;
    cols.fixSec[i] = st.fixSec[k]!;
    cols.seenSec[i] = st.seenSec[k]!;
    cols.speed10[i] = st.speed10[k]!;
    cols.heading[i] = st.heading[k]!;
    cols.status[i] = st.status[k]!;
    cols.conn[i] = st.conn[k]!;
    cols.attrsVersion[i] = row.attrs ? baseAttrsVersion + 1 : baseAttrsVersion;
    cols.attrs[i] = row.attrs ?? baseAttrs;
  }
  return touched;
}

/** applyLiveFrameV2's scratch, grown to the largest frame seen (one screen applies one frame at a time). */
interface Staging {
  leave: Uint8Array; enter: Uint8Array; hasPos: Uint8Array; lon: Float64Array; lat: Float64Array; fixSec: Float64Array;
  seenSec: Float64Array; speed10: Uint16Array; heading: Uint16Array; status: Uint8Array; conn: Uint8Array;
}
let scratch: Staging | undefined;
function staging(n: number): Staging {
  if (!scratch || scratch.leave.length < n) {
    const size = Math.max(n, 1024);
    scratch = {
      leave: new Uint8Array(size), enter: new Uint8Array(size), hasPos: new Uint8Array(size), lon: new Float64Array(size), lat: new Float64Array(size),
      fixSec: new Float64Array(size), seenSec: new Float64Array(size), speed10: new Uint16Array(size), heading: new Uint16Array(size),
      status: new Uint8Array(size), conn: new Uint8Array(size),
    };
  }
  return scratch;
}
