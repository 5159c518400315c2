import { describe, expect, it } from 'vitest';
import { decodeLiveFrame } from '../../shared/live-codec.ts';
import { ReplayFrameBuilder, type BuiltFrame } from '../../server/replay/replay-frames.ts';
import type { TrackPoint } from '../../server/history/track-codec.ts';
import { ReplayStreamReader, encodeReplayFrames, encodeReplayJson, encodeReplayRecord, REPLAY_RECORD, ReplayStreamError } from '../../shared/replay-stream.ts';
import { stagesOf } from '../../server/replay/replay-incidents.ts';
import { defaultReplayStepS, replayKeyframeS } from '../../shared/schemas/replay.ts';

const F = Date.UTC(2026, 10, 27, 1, 0, 0);
const index = new Map([
  ['veh-1', { i: 0, kind: 'vehicle' as const }],
  ['bin-1', { i: 1, kind: 'bin' as const }],
  ['stf-1', { i: 2, kind: 'staff' as const }],
  ['wc-1', { i: 3, kind: 'toilet' as const }],
]);
/** A kept point as the history codec holds it: seconds, 1e-6° integers, status and connectivity codes, scaled readings. */
const pt = (ms: number, lon: number | null, lat: number | null, status: number, readings: number[] = [], conn = 0): TrackPoint =>
  ({ t: ms / 1000, lon: lon === null ? null : Math.round(lon * 1e6), lat: lat === null ? null : Math.round(lat * 1e6), status, conn, readings });
// status codes: vehicle working 0 · idle 1; bin ok 0 · full 1; staff onDuty 0; toilet open 0 — connectivity online 0 · offline 2

/** Decoded frame in a shape written out by hand below. */
function decoded(f: BuiltFrame) {
  const d = decodeLiveFrame(f.bytes);
  expect(d.serverTime).toBe(f.t);
  expect(d.full).toBe(f.full);
  return { t: d.serverTime - F, full: d.full, rows: d.rows.map((r) => ({ i: r.i, st: r.statusCode, cn: r.connectivity, seen: r.lastSeen - F, pos: r.pos && [r.pos.lon, r.pos.lat, r.pos.ts - F, r.pos.heading], ...(r.attrs ? { attrs: r.attrs } : {}) })) };
}

describe('replay frames from a hand-written history', () => {
  it('a keyframe at from, one delta per step with the latest point of each entity, keyframes at slice ends, attributes only when they change', () => {
    const b = new ReplayFrameBuilder({ from: F, to: F + 10_000, stepS: 2, keyframeS: 4, index, toiletClass: () => 'II' });
    const start = new Map([
      ['veh-1', pt(F - 5000, 117, 36, 1, [500])], // routeDone 500 ‰
      ['bin-1', pt(F - 60_000, 117.01, 36.01, 0, [40])],
      ['gone-1', pt(F - 60_000, 117.5, 36.5, 0, [1])], // not in the catalog: left out
    ]);
    const frames = [b.start(start)];
    expect(b.nextSliceEnd()).toBe(F + 4000);
    frames.push(...b.slice(new Map([
      ['veh-1', [pt(F + 1000, 117, 36.001, 1, [500]), pt(F + 2000, 117, 36.002, 0, [500]), pt(F + 3000, 117.001, 36.002, 0, [500])]],
    ])));
    expect(b.nextSliceEnd()).toBe(F + 8000);
    frames.push(...b.slice(new Map([
      ['bin-1', [pt(F + 5000, 117.01, 36.01, 1, [85])]],
      ['veh-1', [pt(F + 7000, 117.001, 36.002, 0, [500], 2)]],
      ['wc-1', [pt(F + 6000, 117.03, 36.03, 0, [1200, 1, 2])]], // NH₃ 1.2 mg/m³ > class II's 1
    ])));
    expect(b.nextSliceEnd()).toBe(F + 10_000);
    frames.push(...b.slice(new Map([['stf-1', [pt(F + 9000, 117.02, 36.02, 0)]]])));
    expect(b.nextSliceEnd()).toBeNull();

    const veh0 = { i: 0, st: 1, cn: 'online', seen: -5000, pos: [117, 36, -5000, undefined], attrs: { routeDone: 0.5 } };
    const bin0 = { i: 1, st: 0, cn: 'online', seen: -60_000, pos: [117.01, 36.01, -60_000, undefined], attrs: { fill: 40 } };
    const veh4 = { i: 0, st: 0, cn: 'online', seen: 3000, pos: [117.001, 36.002, 3000, 90], attrs: { routeDone: 0.5 } };
    const bin6 = { i: 1, st: 1, cn: 'online', seen: 5000, pos: [117.01, 36.01, 5000, undefined], attrs: { fill: 85 } };
    const wc6 = { i: 3, st: 0, cn: 'online', seen: 6000, pos: [117.03, 36.03, 6000, undefined], attrs: { nh3: 1.2, h2s: 0.001, occupied: 2, odourAlarm: true } };
    const veh8 = { i: 0, st: 0, cn: 'offline', seen: 7000, pos: [117.001, 36.002, 7000, 90], attrs: { routeDone: 0.5 } };
    expect(frames.map(decoded)).toEqual([
      { t: 0, full: true, rows: [veh0, bin0] },
      // F+1000 and F+2000 fall in the frame at F+2000: only the later is sent, turned north (0°) from the start point
      { t: 2000, full: false, rows: [{ i: 0, st: 0, cn: 'online', seen: 2000, pos: [117, 36.002, 2000, 0] }] },
      { t: 4000, full: false, rows: [{ i: 0, st: 0, cn: 'online', seen: 3000, pos: [117.001, 36.002, 3000, 90] }] }, // turned east, readings unchanged
      { t: 4000, full: true, rows: [veh4, bin0] },
      { t: 6000, full: false, rows: [bin6, wc6] },
      { t: 8000, full: false, rows: [{ i: 0, st: 0, cn: 'offline', seen: 7000, pos: [117.001, 36.002, 7000, 90] }] },
      { t: 8000, full: true, rows: [veh8, bin6, wc6] },
      { t: 10_000, full: false, rows: [{ i: 2, st: 0, cn: 'online', seen: 9000, pos: [117.02, 36.02, 9000, undefined], attrs: {} }] },
    ]);
    expect(b.stats).toEqual({ frames: 8, keyframes: 3, rows: 2 + 1 + 1 + 2 + 2 + 1 + 3 + 1 });
  });

  it('skips steps where nothing changed and keeps a point at exactly `from` in the keyframe only', () => {
    const b = new ReplayFrameBuilder({ from: F, to: F + 60_000, stepS: 1, keyframeS: 60, index });
    const first = b.start(new Map([['veh-1', pt(F, 117, 36, 1, [0])]]));
    const frames = b.slice(new Map([['veh-1', [pt(F, 117, 36, 1, [0]), pt(F + 30_000, 117, 36.01, 1, [100])]]]));
    expect(decoded(first).rows.map((r) => r.seen)).toEqual([0]);
    expect(frames.map((f) => [f.t - F, f.full, f.rows])).toEqual([[30_000, false, 1]]); // no keyframe at `to`
  });

  it('an entity without a fix has no position until its first one', () => {
    const b = new ReplayFrameBuilder({ from: F, to: F + 4000, stepS: 2, keyframeS: 4, index });
    const first = decoded(b.start(new Map([['stf-1', pt(F - 1000, null, null, 1)]])));
    const [later] = b.slice(new Map([['stf-1', [pt(F + 1000, 117.02, 36.02, 0)]]])).map(decoded);
    expect(first.rows).toEqual([{ i: 2, st: 1, cn: 'online', seen: -1000, pos: undefined, attrs: {} }]);
    expect(later).toEqual({ t: 2000, full: false, rows: [{ i: 2, st: 0, cn: 'online', seen: 1000, pos: [117.02, 36.02, 1000, undefined] }] });
  });

  it('refuses a keyframe interval that is not a whole number of steps', () => {
    expect(() => new ReplayFrameBuilder({ from: F, to: F + 1000, stepS: 2, keyframeS: 5, index })).toThrow(/multiple/);
    expect(() => new ReplayFrameBuilder({ from: F, to: F, stepS: 1, keyframeS: 5, index })).toThrow(/after/);
  });

  it('default step and keyframe interval', () => {
    expect([defaultReplayStepS(3_600_000), defaultReplayStepS(60_000), defaultReplayStepS(24 * 3_600_000)]).toEqual([1, 1, 24]);
    expect([replayKeyframeS(1), replayKeyframeS(24), replayKeyframeS(7)]).toEqual([900, 3600, 1050]);
  });
});

describe('replay stream records', () => {
  it('reads records back whatever the chunking, and refuses a cut or a corrupt stream', () => {
    const frame = new Uint8Array([1, 2, 3, 4, 5]);
    const bytes = new Uint8Array([
      ...encodeReplayJson(REPLAY_RECORD.end, { frames: 1, keyframes: 1, rows: 3 }),
      ...encodeReplayRecord(REPLAY_RECORD.frame, frame),
    ]);
    expect([...encodeReplayFrames([frame, frame.subarray(0, 2)])]).toEqual([6, 0, 0, 0, 2, 1, 2, 3, 4, 5, 3, 0, 0, 0, 2, 1, 2]);
    // u32 LE length (type + payload) then the type byte
    expect([...bytes.subarray(bytes.length - 10)]).toEqual([6, 0, 0, 0, 2, 1, 2, 3, 4, 5]);
    for (const size of [1, 3, 7, bytes.length]) {
      const r = new ReplayStreamReader();
      const got = [];
      for (let o = 0; o < bytes.length; o += size) got.push(...r.push(bytes.slice(o, o + size)));
      r.finish();
      expect(got).toEqual([{ type: 4, end: { frames: 1, keyframes: 1, rows: 3 } }, { type: 2, frame }]);
    }
    const cut = new ReplayStreamReader();
    cut.push(bytes.subarray(0, bytes.length - 2));
    expect(() => cut.finish()).toThrow(ReplayStreamError);
    expect(() => new ReplayStreamReader().push(new Uint8Array([2, 0, 0, 0, 9, 0]))).toThrow(/unknown record type 9/);
    expect(() => new ReplayStreamReader().push(new Uint8Array([0, 0, 0, 0]))).toThrow(/bad record length/);
  });

  it('stages of a case from its timeline: each stage entered, once', () => {
    const e = (ts: number, toStage: string | null) => ({ id: ts, caseId: 1, ts, actor: 'a', actorRole: 'dispatcher', action: 'note' as const, fromStage: null, toStage: toStage as never, note: null, data: null });
    expect(stagesOf([e(1, 'reported'), e(2, 'registered'), e(3, null), e(4, 'registered'), e(5, 'closed')])).toEqual([[1, 'reported'], [2, 'registered'], [5, 'closed']]);
  });
});
