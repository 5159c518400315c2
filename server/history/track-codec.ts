/**
 * The on-disk form of a track: the kept points of one entity in one time bucket, as one
 * blob of varints. Each point is stored as its difference from the previous one (the first
 * from the bucket's start and a zero state), so a truck crawling along a street costs
 * 3–5 bytes a point instead of a row of ~60. Pure: no clock, no store.
 *
 * One point, in order:
 *   flags    1 byte: bit 0 position, bit 1 status, bit 2 connectivity, bits 3..7 reading 0..4
 *   dt       unsigned varint, seconds since the previous point (the first: since the bucket start)
 *   dlon     zigzag varint, 1e-6° (only with bit 0)
 *   dlat     zigzag varint, 1e-6° (only with bit 0)
 *   status   unsigned varint, index in ENTITY_STATUSES[kind] (only with bit 1)
 *   conn     unsigned varint, index in CONNECTIVITY (only with bit 2)
 *   reading  zigzag varint, difference of the scaled integer reading (one per set bit 3..7)
 * A field without its bit keeps the previous point's value. Times are whole seconds: the
 * history is for charts and replay, where a second is the finest step anyone plays.
 */

export const MAX_READINGS = 5;

/** A kept point, in the codec's integers. `lon`/`lat` are 1e-6°; null before the entity's first fix. */
export interface TrackPoint {
  /** Seconds since epoch (UTC). */
  t: number;
  lon: number | null;
  lat: number | null;
  status: number;
  conn: number;
  /** Scaled integer readings, by the kind's reading list (server/history/readings.ts). */
  readings: number[];
}

export class TrackOrderError extends Error {
  override name = 'TrackOrderError';
}

/** The state a bucket's first point is encoded against. */
export function zeroPoint(bucketStart: number, readingCount: number): TrackPoint {
  return { t: bucketStart, lon: null, lat: null, status: 0, conn: 0, readings: new Array<number>(readingCount).fill(0) };
}

const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (n: number): number => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

/** Appends an unsigned varint (LEB128, 7 bits a byte) — arithmetic, not bit operators, so values past 2^31 stay exact. */
function putVarint(out: number[], n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
  while (n >= 0x80) {
    out.push((n % 0x80) + 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  get done(): boolean { return this.pos >= this.buf.length; }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new RangeError('truncated track blob');
      const b = this.buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new RangeError('varint too long in track blob');
    }
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new RangeError('truncated track blob');
    return this.buf[this.pos++]!;
  }
}

/**
 * Encodes points of one bucket. Points must be in time order (equal seconds allowed) and
 * not before the bucket start; a point out of order is refused with TrackOrderError, never
 * silently reordered, because the caller's clock went wrong and should be told.
 */
export function encodeTrack(bucketStart: number, readingCount: number, points: readonly TrackPoint[]): Uint8Array {
  if (readingCount > MAX_READINGS) throw new RangeError(`at most ${MAX_READINGS} readings`);
  const out: number[] = [];
  let prev = zeroPoint(bucketStart, readingCount);
  for (const p of points) {
    if (!Number.isSafeInteger(p.t)) throw new RangeError(`point time not an integer second: ${p.t}`);
    if (p.t < prev.t) throw new TrackOrderError(`point at ${p.t} s is before the previous one at ${prev.t} s`);
    let flags = 0;
    const hasPos = p.lon !== null && p.lat !== null;
    if (!hasPos && prev.lon !== null) throw new RangeError('a track cannot lose its position once it has one');
    if (hasPos && (p.lon !== prev.lon || p.lat !== prev.lat)) flags |= 1;
    if (p.status !== prev.status) flags |= 2;
    if (p.conn !== prev.conn) flags |= 4;
    for (let i = 0; i < readingCount; i++) if ((p.readings[i] ?? 0) !== prev.readings[i]) flags |= 8 << i;
    out.push(flags);
    putVarint(out, p.t - prev.t);
    if (flags & 1) {
      putVarint(out, zigzag(p.lon! - (prev.lon ?? 0)));
      putVarint(out, zigzag(p.lat! - (prev.lat ?? 0)));
    }
    if (flags & 2) putVarint(out, p.status);
    if (flags & 4) putVarint(out, p.conn);
    for (let i = 0; i < readingCount; i++) if (flags & (8 << i)) putVarint(out, zigzag((p.readings[i] ?? 0) - prev.readings[i]!));
    prev = { t: p.t, lon: hasPos ? p.lon : null, lat: hasPos ? p.lat : null, status: p.status, conn: p.conn, readings: p.readings.slice(0, readingCount) };
    while (prev.readings.length < readingCount) prev.readings.push(0);
  }
  return Uint8Array.from(out);
}

export function decodeTrack(bucketStart: number, readingCount: number, blob: Uint8Array): TrackPoint[] {
  const r = new Reader(blob);
  const points: TrackPoint[] = [];
  let prev = zeroPoint(bucketStart, readingCount);
  while (!r.done) {
    const flags = r.byte();
    if (flags >> (3 + readingCount) !== 0) throw new RangeError(`track blob flags 0x${flags.toString(16)} name a reading this kind does not have`);
    const p: TrackPoint = { ...prev, readings: prev.readings.slice() };
    p.t = prev.t + r.varint();
    if (flags & 1) {
      p.lon = (prev.lon ?? 0) + unzigzag(r.varint());
      p.lat = (prev.lat ?? 0) + unzigzag(r.varint());
    }
    if (flags & 2) p.status = r.varint();
    if (flags & 4) p.conn = r.varint();
    for (let i = 0; i < readingCount; i++) if (flags & (8 << i)) p.readings[i] = prev.readings[i]! + unzigzag(r.varint());
    points.push(p);
    prev = p;
  }
  return points;
}
