/**
 * Live format 2: the exact bytes of a moved entity against a hand-written encoding, the size
 * of a realistic tick, round trips over random states and views, and fuzz — damaged,
 * truncated and foreign buffers are refused with LiveCodecError, never applied.
 */
import { describe, expect, it } from 'vitest';
import { applyLiveFrameV2, crc32, decodeLiveFrameV2, encodeLiveFrameV2, LiveCodecError } from '../../shared/live-codec.ts';
import { LiveColumns, NO_HEADING, type ColumnRow } from '../../shared/live-columns.ts';
import type { ViewFilter } from '../../shared/live-subscription.ts';

/** A seeded generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** LEB128 written with BigInt arithmetic — an encoding independent of the codec's. */
function leb(n: number): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

const T = 1_800_000_000; // seconds
const row = (r: Partial<ColumnRow>): ColumnRow => ({
  hasPos: true, lon: 117_000_000, lat: 36_650_000, fixSec: T, seenSec: T, speed10: 300, heading: 90,
  status: 1, conn: 0, attrsVersion: 1, attrs: undefined, ...r,
});
function cols(rows: (ColumnRow | null)[]): LiveColumns {
  const c = new LiveColumns(rows.length);
  rows.forEach((r, i) => { if (r) c.set(i, r); });
  return c;
}
/** What a screen with view `inView` holds of `c`. */
function viewOf(c: LiveColumns, inView: ViewFilter): LiveColumns {
  const out = LiveColumns.copyOf(c, c.size);
  for (let i = 0; i < c.size; i++) if (!(c.present[i] === 1 && inView(c, i))) out.clear(i);
  return out;
}
function expectSameHeld(actual: LiveColumns, expected: LiveColumns) {
  for (const f of ['present', 'hasPos', 'lon', 'lat', 'fixSec', 'seenSec', 'speed10', 'heading', 'status', 'conn'] as const) {
    expect(Array.from(actual[f]), f).toEqual(Array.from(expected[f]));
  }
  expect(actual.attrs).toEqual(expected.attrs);
}
const all: ViewFilter = () => true;

describe('live format 2: bytes of a moved entity', () => {
  const serverTime = T * 1000 + 1000;
  const base = cols([row({})]);

  it('a move of +123/−45 µ° one second later is six bytes, as written out by hand', () => {
    const target = cols([row({ lon: 117_000_123, lat: 36_649_955, fixSec: T + 1, seenSec: T + 1 })]);
    const frame = encodeLiveFrameV2({ full: false, version: 101, baseVersion: 100, serverTime }, base, target, [0]);
    const header = [0x7e, 0xc1, 2, 0, ...leb(101), ...leb(100), ...leb(serverTime), ...leb(1), ...leb(0)];
    // index gap zz(0 − (−1)) = 2 · fields POS|TIME = 0x03 · zz(123) = 246 → F6 01 · zz(−45) = 89 → 59 · zz(1) = 2
    const rowBytes = [0x02, 0x03, 0xf6, 0x01, 0x59, 0x02];
    expect(Array.from(frame.subarray(0, header.length + rowBytes.length))).toEqual([...header, ...rowBytes]);
    expect(frame.byteLength).toBe(header.length + rowBytes.length + 4);
    const crc = new DataView(frame.buffer, frame.byteOffset).getUint32(frame.byteLength - 4, true);
    expect(crc).toBe(crc32(frame.subarray(0, frame.byteLength - 4)));
  });

  it('with speed, heading and status changed too it stays within 16 bytes (11 here)', () => {
    const target = cols([row({ lon: 116_999_000, lat: 36_651_200, fixSec: T + 3, seenSec: T + 3, speed10: 415, heading: 95, status: 2 })]);
    const empty = encodeLiveFrameV2({ full: false, version: 101, baseVersion: 100, serverTime }, base, base, [0]);
    const frame = encodeLiveFrameV2({ full: false, version: 101, baseVersion: 100, serverTime }, base, target, [0]);
    // gap 1 · fields 1 · zz(−1000)=1999 → 2 · zz(1200)=2400 → 2 · zz(3) → 1 · 415 → 2 · 96 → 1 · status 2 → 1
    // (the header's row count is one byte either way)
    expect(frame.byteLength - empty.byteLength).toBe(11);
  });

  it('a tick of 5,000 wandering vehicles costs at most 16 bytes per moved entity', () => {
    const rand = rng(7);
    const n = 5000;
    const b = cols(Array.from({ length: n }, () => row({ lon: 117_000_000 + Math.floor(rand() * 100_000), lat: 36_650_000 + Math.floor(rand() * 60_000), speed10: Math.floor(rand() * 600), heading: Math.floor(rand() * 360) })));
    const t = LiveColumns.copyOf(b, n);
    const moved: number[] = [];
    for (let i = 0; i < n; i++) {
      if (rand() < 0.3) continue; // reported nothing this tick
      const r = b.row(i);
      // up to 60 km/h for one second: ≤ 17 m ≈ 200 µ°
      t.set(i, { ...r, lon: r.lon + Math.round((rand() - 0.5) * 400), lat: r.lat + Math.round((rand() - 0.5) * 400), fixSec: r.fixSec + 1, seenSec: r.seenSec + 1, speed10: Math.floor(rand() * 600), heading: Math.floor(rand() * 360) });
      moved.push(i);
    }
    const none = encodeLiveFrameV2({ full: false, version: 2, baseVersion: 1, serverTime }, b, b, []);
    const frame = encodeLiveFrameV2({ full: false, version: 2, baseVersion: 1, serverTime }, b, t, moved);
    const perMoved = (frame.byteLength - none.byteLength) / moved.length;
    expect(perMoved).toBeLessThanOrEqual(16);
    const held = LiveColumns.copyOf(b, n);
    applyLiveFrameV2(held, decodeLiveFrameV2(frame));
    expectSameHeld(held, t);
  });
});

/** A random district state: positions, some without, statuses, connectivity, attributes. */
function randomState(rand: () => number, n: number, from?: LiveColumns): LiveColumns {
  const c = from ? LiveColumns.copyOf(from, n) : new LiveColumns(n);
  for (let i = 0; i < n; i++) {
    const prev = from && i < from.size && from.present[i] ? from.row(i) : null;
    if (prev && rand() < 0.5) continue; // unchanged
    const hasPos = rand() > 0.1;
    const moveFar = rand() < 0.1;
    // The live state's invariant: new attributes come with a new attrsVersion.
    const keepAttrs = prev !== null && rand() < 0.8;
    c.set(i, {
      hasPos,
      lon: prev?.hasPos && !moveFar ? prev.lon + Math.round((rand() - 0.5) * 2000) : 116_900_000 + Math.floor(rand() * 300_000),
      lat: prev?.hasPos && !moveFar ? prev.lat + Math.round((rand() - 0.5) * 2000) : 36_600_000 + Math.floor(rand() * 200_000),
      fixSec: T + Math.floor(rand() * 100),
      seenSec: T + Math.floor(rand() * 120),
      speed10: rand() < 0.5 ? 0 : Math.floor(rand() * 1200),
      heading: rand() < 0.2 ? NO_HEADING : Math.floor(rand() * 360),
      status: Math.floor(rand() * 5),
      conn: Math.floor(rand() * 3),
      attrsVersion: keepAttrs && prev ? prev.attrsVersion : (prev?.attrsVersion ?? 0) + 1,
      attrs: keepAttrs && prev ? prev.attrs : { reading: Math.floor(rand() * 100), note: rand() < 0.1 ? '满溢 ✓' : undefined },
    });
  }
  // JSON drops undefined members: compare what the wire can carry
  for (let i = 0; i < n; i++) if (c.attrs[i]) c.attrs[i] = JSON.parse(JSON.stringify(c.attrs[i])) as Record<string, unknown>;
  return c;
}
const boxView = (w: number, s: number, e: number, n: number): ViewFilter => (c, i) => c.hasPos[i] === 1 && c.lon[i]! >= w && c.lon[i]! <= e && c.lat[i]! >= s && c.lat[i]! <= n;

describe('live format 2: round trips', () => {
  it('a delta brings a screen from any base to any target, for the whole district and for a box that entities cross', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rand = rng(seed);
      const base = randomState(rand, 200);
      const target = randomState(rand, 200 + Math.floor(rand() * 20), base); // the catalog grew too
      const view = seed % 2 ? all : boxView(117_000_000, 36_650_000, 117_100_000, 36_720_000);
      const held = viewOf(base, view);
      const grown = LiveColumns.copyOf(held, target.size);
      const frame = encodeLiveFrameV2({ full: false, version: 9, baseVersion: 8, serverTime: T * 1000 }, base, target, Array.from({ length: target.size }, (_, i) => i), view);
      const decoded = decodeLiveFrameV2(frame);
      expect(decoded).toMatchObject({ full: false, version: 9, baseVersion: 8, serverTime: T * 1000 });
      applyLiveFrameV2(grown, decoded);
      expectSameHeld(grown, viewOf(target, view));
    }
  });

  it('a full frame replaces whatever the screen held', () => {
    const rand = rng(99);
    const target = randomState(rand, 300);
    const stale = randomState(rng(5), 300);
    const view = boxView(117_000_000, 36_600_000, 117_200_000, 36_800_000);
    const frame = encodeLiveFrameV2({ full: true, version: 5, baseVersion: 0, serverTime: T * 1000 }, null, target, Array.from({ length: 300 }, (_, i) => i), view);
    applyLiveFrameV2(stale, decodeLiveFrameV2(frame));
    expectSameHeld(stale, viewOf(target, view));
  });
});

describe('live format 2: fuzz', () => {
  const rand = rng(2026);
  const base = randomState(rand, 120);
  const target = randomState(rand, 120, base);
  const valid = encodeLiveFrameV2({ full: false, version: 3, baseVersion: 2, serverTime: T * 1000 }, base, target, Array.from({ length: 120 }, (_, i) => i));

  it('random buffers throw LiveCodecError', () => {
    for (let k = 0; k < 2000; k++) {
      const bytes = new Uint8Array(Math.floor(rand() * 300)).map(() => Math.floor(rand() * 256));
      if (k % 2 && bytes.length > 3) { bytes[0] = 0x7e; bytes[1] = 0xc1; bytes[2] = 2; } // past the magic and format
      expect(() => decodeLiveFrameV2(bytes)).toThrow(LiveCodecError);
    }
  });

  it('every truncation and every single-bit flip of a valid frame throws LiveCodecError', () => {
    expect(() => decodeLiveFrameV2(valid)).not.toThrow();
    for (let len = 0; len < valid.length; len++) expect(() => decodeLiveFrameV2(valid.subarray(0, len)), `length ${len}`).toThrow(LiveCodecError);
    for (let k = 0; k < valid.length; k++) {
      for (let bit = 0; bit < 8; bit += 3) {
        const bad = valid.slice();
        bad[k]! ^= 1 << bit;
        expect(() => decodeLiveFrameV2(bad), `byte ${k} bit ${bit}`).toThrow(LiveCodecError);
      }
    }
  });

  /** A frame whose checksum is right but whose body lies: the structure checks still refuse it. */
  const signed = (body: number[]) => {
    const out = new Uint8Array(body.length + 4);
    out.set(body);
    new DataView(out.buffer).setUint32(body.length, crc32(out.subarray(0, body.length)), true);
    return out;
  };

  it('well-signed lies are refused: a row count beyond the bytes, a runaway varint, rows out of order, a foreign format', () => {
    const head = [0x7e, 0xc1, 2, 0, 1, 0, 1];
    expect(() => decodeLiveFrameV2(signed([...head, ...leb(1_000_000), 0]))).toThrow(/declares/);
    expect(() => decodeLiveFrameV2(signed([...head, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(LiveCodecError);
    // two rows, the second with gap zz(−1) = 1: backwards
    expect(() => decodeLiveFrameV2(signed([...head, 2, 0, 2, 0x20, 1, 1, 0x20, 1]))).toThrow(/does not follow/);
    expect(() => decodeLiveFrameV2(signed([0x7e, 0xc1, 3, 0, 1, 0, 1, 0, 0]))).toThrow(/format 3/);
    // a row with bytes left over before the (empty) attribute section
    expect(() => decodeLiveFrameV2(signed([...head, 1, 0, 2, 0x20, 1, 9]))).toThrow(/rows end/);
  });

  it('a frame that does not fit the screen changes nothing (all or nothing)', () => {
    const small = viewOf(base, all);
    const held = LiveColumns.copyOf(small, 60); // holds fewer entities than the frame names
    const before = LiveColumns.copyOf(held, 60);
    expect(() => applyLiveFrameV2(held, decodeLiveFrameV2(valid))).toThrow(/beyond/);
    expectSameHeld(held, before);
  });
});
