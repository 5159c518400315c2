import { describe, expect, it } from 'vitest';
import { decodeLiveFrame, encodeLiveFrame, LiveCodecError, statusFromCode, type LiveRow } from '../../shared/live-codec.ts';

const serverTime = Date.UTC(2026, 10, 28, 2, 0, 0);

const rows: LiveRow[] = [
  { i: 0, kind: 'staff', status: 'onDuty', connectivity: 'online', pos: { lon: 117.089123, lat: 36.651456, ts: serverTime - 4000, speed: 4.2, heading: 271 }, lastSeen: serverTime - 3000, attrs: { role: 'cleaner', onDuty: true } },
  { i: 7, kind: 'muckTruck', status: 'loaded', connectivity: 'stale', pos: { lon: 117.13, lat: 36.66, ts: serverTime - 90_000, speed: 43.7 }, lastSeen: serverTime - 90_000 },
  { i: 4999, kind: 'bin', status: 'overflow', connectivity: 'offline', lastSeen: serverTime - 3_600_000, attrs: { fill: 97.5, binType: 'litter' } },
];

describe('live codec', () => {
  it('round-trips rows with positions quantised to 1e-6° and times to seconds', () => {
    const frame = encodeLiveFrame({ full: false, version: 123456, baseVersion: 123000, serverTime }, rows);
    const decoded = decodeLiveFrame(frame);
    expect(decoded).toMatchObject({ full: false, version: 123456, baseVersion: 123000, serverTime });
    expect(decoded.rows).toHaveLength(3);
    const [a, b, c] = decoded.rows;
    expect(a!.i).toBe(0);
    expect(statusFromCode('staff', a!.statusCode)).toBe('onDuty');
    expect(a!.connectivity).toBe('online');
    expect(a!.pos!.lon).toBeCloseTo(117.089123, 6);
    expect(a!.pos!.lat).toBeCloseTo(36.651456, 6);
    expect(a!.pos!.ts).toBe(serverTime - 4000);
    expect(a!.pos!.speed).toBeCloseTo(4.2, 1);
    expect(a!.pos!.heading).toBe(271);
    expect(a!.attrs).toEqual({ role: 'cleaner', onDuty: true });
    expect(b!.pos!.heading).toBeUndefined();
    expect(b!.attrs).toBeUndefined();
    expect(statusFromCode('muckTruck', b!.statusCode)).toBe('loaded');
    expect(b!.connectivity).toBe('stale');
    expect(c!.i).toBe(4999);
    expect(c!.pos).toBeUndefined();
    expect(c!.lastSeen).toBe(serverTime - 3_600_000);
    expect(c!.attrs).toEqual({ fill: 97.5, binType: 'litter' });
  });

  it('costs about 30 bytes per moving entity, not a JSON object each', () => {
    const many: LiveRow[] = Array.from({ length: 5000 }, (_, i) => ({
      i, kind: 'vehicle', status: 'working', connectivity: 'online', lastSeen: serverTime,
      pos: { lon: 117 + i * 1e-5, lat: 36.6 + i * 1e-5, ts: serverTime, speed: 8, heading: 90 },
    }));
    const frame = encodeLiveFrame({ full: true, version: 1, baseVersion: 0, serverTime }, many);
    expect(frame.byteLength).toBeLessThanOrEqual(36 + 5000 * 30);
    expect(decodeLiveFrame(frame).rows[4999]!.pos!.lon).toBeCloseTo(117.04999, 6);
  });

  it('refuses an unknown status instead of sending a wrong code', () => {
    expect(() => encodeLiveFrame({ full: false, version: 1, baseVersion: 0, serverTime }, [{ ...rows[0]!, status: 'flying' }])).toThrow(LiveCodecError);
  });

  it('rejects malformed frames with a clear error', () => {
    const frame = encodeLiveFrame({ full: false, version: 2, baseVersion: 1, serverTime }, rows);
    expect(() => decodeLiveFrame(frame.subarray(0, 10))).toThrow(/too short/);
    expect(() => decodeLiveFrame(frame.subarray(0, frame.length - 1))).toThrow(/does not match/);
    const badMagic = frame.slice();
    badMagic[0] = 0;
    expect(() => decodeLiveFrame(badMagic)).toThrow(/bad magic/);
    const badJson = frame.slice();
    badJson[badJson.length - 2] = 0x7b; // corrupt the attribute JSON
    expect(() => decodeLiveFrame(badJson)).toThrow(LiveCodecError);
  });

  it('accepts an ArrayBuffer as browsers receive it', () => {
    const frame = encodeLiveFrame({ full: true, version: 5, baseVersion: 0, serverTime }, rows);
    const copy = frame.slice().buffer;
    expect(decodeLiveFrame(copy).rows).toHaveLength(3);
  });
});
