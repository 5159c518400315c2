import { describe, expect, it } from 'vitest';
import { decodeTrack, encodeTrack, TrackOrderError, type TrackPoint } from '../../server/history/track-codec.ts';

const pt = (t: number, lon: number | null, lat: number | null, status: number, conn: number, readings: number[]): TrackPoint => ({ t, lon, lat, status, conn, readings });

describe('the track codec', () => {
  // Bytes worked out by hand from the layout in track-codec.ts (flags, varint dt, zigzag deltas).
  const track = [
    pt(1000, 300, -2, 1, 0, [50]),      // first: pos, status, reading vs the zero state
    pt(1130, 290, -2, 1, 2, [50]),      // west 10 µ°, offline
    pt(1130, 290, -2, 1, 2, [45]),      // same second, reading down 5
    pt(1130 + 2 ** 32, 290, -2, 1, 2, [45]), // a gap past 32 bits, nothing changed
  ];
  const bytes = [
    0x0b, 0x00, 0xd8, 0x04, 0x03, 0x01, 0x64, // flags pos|status|reading0, dt 0, zz(300)=600, zz(-2)=3, status 1, zz(50)=100
    0x05, 0x82, 0x01, 0x13, 0x00, 0x02,       // flags pos|conn, dt 130, zz(-10)=19, zz(0)=0, conn 2
    0x08, 0x00, 0x09,                         // flags reading0, dt 0, zz(-5)=9
    0x00, 0x80, 0x80, 0x80, 0x80, 0x10,       // no change, dt 2^32
  ];

  it('encodes a small track to the hand-computed bytes and back', () => {
    const blob = encodeTrack(1000, 1, track);
    expect([...blob]).toEqual(bytes);
    expect(decodeTrack(1000, 1, Uint8Array.from(bytes))).toEqual(track);
  });

  it('round-trips real coordinates with negative deltas in every field', () => {
    const pts = [
      pt(1_764_300_000, 117_031_234, 36_671_000, 2, 0, [812, 0, 3]),
      pt(1_764_300_005, 117_031_100, 36_670_950, 0, 1, [700, 12, 1]),
      pt(1_764_300_065, 116_999_999, 36_600_001, 1, 0, [0, 0, 0]),
    ];
    expect(decodeTrack(1_764_300_000, 3, encodeTrack(1_764_300_000, 3, pts))).toEqual(pts);
  });

  it('keeps a track without a position until its first fix', () => {
    const pts = [pt(60, null, null, 0, 0, [20]), pt(70, null, null, 0, 1, [20]), pt(80, 5, 6, 0, 1, [20])];
    const blob = encodeTrack(0, 1, pts);
    // first: flags reading0 (0x08), dt 60, zz(20)=40; second: flags conn, dt 10, conn 1; third: flags pos, dt 10, zz(5)=10, zz(6)=12
    expect([...blob]).toEqual([0x08, 60, 40, 0x04, 10, 1, 0x01, 10, 10, 12]);
    expect(decodeTrack(0, 1, blob)).toEqual(pts);
  });

  it('refuses a point out of order, and a first point before the bucket', () => {
    expect(() => encodeTrack(0, 0, [pt(100, 1, 1, 0, 0, []), pt(99, 1, 1, 0, 0, [])])).toThrow(TrackOrderError);
    expect(() => encodeTrack(600, 0, [pt(599, 1, 1, 0, 0, [])])).toThrow(TrackOrderError);
  });

  it('refuses a track that loses its position, and a truncated or foreign blob', () => {
    expect(() => encodeTrack(0, 0, [pt(1, 1, 1, 0, 0, []), pt(2, null, null, 0, 0, [])])).toThrow(/lose its position/);
    expect(() => decodeTrack(0, 1, Uint8Array.from([0x0b, 0x00, 0xd8]))).toThrow(/truncated/);
    // reading bit 1 set on a kind with one reading
    expect(() => decodeTrack(0, 1, Uint8Array.from([0x10, 0x00, 0x02]))).toThrow(/reading/);
  });

  it('encodes an empty bucket as no bytes', () => {
    expect(encodeTrack(0, 2, []).length).toBe(0);
    expect(decodeTrack(0, 2, new Uint8Array(0))).toEqual([]);
  });
});
