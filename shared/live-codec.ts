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
 * Coordinates are quantised to 1e-6° (≈ 0.1 m), times to whole seconds.
 */
import { CONNECTIVITY, ENTITY_STATUSES, type Connectivity, type EntityKind, type EntityStatus, type Position } from './entities.ts';

const MAGIC = 0xc17e;
const FORMAT = 1;
const HEADER_BYTES = 2 + 1 + 1 + 8 + 8 + 8 + 4 + 4;
const ROW_BYTES = 4 * 5 + 2 * 2 + 1 * 2;
const NO_POS = -0x80000000;
const NO_HEADING = 0xffff;

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
