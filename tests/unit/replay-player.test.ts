import { describe, expect, it } from 'vitest';
import { encodeLiveFrame } from '../../shared/live-codec.ts';
import { REPLAY_RECORD, type ReplayCase, type ReplayHeader, type ReplayRecord } from '../../shared/replay-stream.ts';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import { ReplayPlayer } from '../../client/replay/replay-player.ts';
import { activeAlarmsAt, openCasesAt, replayMarks, stageAt } from '../../client/replay/incidents-at.ts';
import { localClock, startOfLocalDay } from '../../client/replay/local-clock.ts';

const F = Date.UTC(2026, 10, 27, 1, 0, 0);
const header: ReplayHeader = {
  format: 1, from: F, to: F + 100_000, stepS: 10, keyframeS: 50, kinds: ['vehicle'], catalogId: 'c1', timeZone: 'Asia/Shanghai',
  catalog: [{ i: 0, id: 'veh-1', kind: 'vehicle', name: '1', orgCode: '370102001', gridId: 'g' }, { i: 1, id: 'veh-2', kind: 'vehicle', name: '2', orgCode: '370102001', gridId: 'g' }],
};
const row = (i: number, lon: number, t: number) => ({ i, kind: 'vehicle' as const, status: 'working', connectivity: 'online' as const, lastSeen: t, pos: { lon, lat: 36, ts: t } });
const frame = (dt: number, full: boolean, rows: ReturnType<typeof row>[]): ReplayRecord =>
  ({ type: REPLAY_RECORD.frame, frame: encodeLiveFrame({ full, version: F + dt, baseVersion: 0, serverTime: F + dt }, rows) });

describe('replay player', () => {
  it('waits for frames not yet arrived, plays at its speed, seeks from the nearest keyframe and forgets what came later', () => {
    const clock = { now: 0 };
    const buf = new EntityBuffer();
    const states: number[] = [];
    const p = new ReplayPlayer(buf, (s) => states.push(s.time), () => clock.now);
    p.accept({ type: REPLAY_RECORD.header, header });
    p.accept(frame(0, true, [row(0, 117, F)]));
    p.accept(frame(10_000, false, [row(0, 117.001, F + 10_000)]));
    p.accept(frame(30_000, false, [row(0, 117.003, F + 30_000), row(1, 118, F + 30_000)]));
    expect([buf.lon[0], buf.hasPos[1]]).toEqual([117, 0]); // the keyframe at from, shown at once

    p.setSpeed(60);
    p.play();
    clock.now += 200; // 12 replayed seconds
    p.tick();
    expect(p.state.time - F).toBe(12_000);
    clock.now += 1000; // a stall counts as 0.25 s: 15 s more
    p.tick();
    expect(p.state.time - F).toBe(27_000);
    p.seek(F + 20_000);
    expect([p.state.time - F, buf.lon[0], buf.hasPos[1]]).toEqual([20_000, 117.001, 0]);
    clock.now += 250; // 15 s more, but only 30 s has arrived: it waits there
    p.tick();
    expect([p.state.time - F, buf.lon[0], buf.lon[1], p.state.loadedUntil - F]).toEqual([30_000, 117.003, 118, 30_000]);

    p.accept(frame(50_000, false, [row(0, 117.005, F + 50_000)]));
    p.accept(frame(50_000, true, [row(0, 117.005, F + 50_000), row(1, 118, F + 30_000)]));
    p.accept(frame(60_000, false, [row(1, 118.1, F + 60_000)]));
    p.accept({ type: REPLAY_RECORD.end, end: { frames: 6, keyframes: 2, rows: 8 } });
    expect(p.state.loadedUntil).toBe(F + 100_000);

    // Seek into the second keyframe's span: keyframe at 50 s, then the delta at 60 s.
    p.seek(F + 65_000);
    expect([buf.lon[0], buf.lon[1], buf.glideMs[0]]).toEqual([117.005, 118.1, 0]);
    // Back before veh-2 was known: it is gone again.
    p.seek(F + 15_000);
    expect([buf.lon[0], buf.hasPos[1]]).toEqual([117.001, 0]);
    // Past the end: clamped, and playing stops there.
    for (let k = 0; k < 10; k++) { clock.now += 250; p.tick(); }
    expect(p.state).toMatchObject({ time: F + 100_000, playing: false });
    expect(states.at(-1)).toBe(F + 100_000);
  });

  it('a jump past what has arrived waits there, and shows the frames as they come', () => {
    const clock = { now: 0 };
    const buf = new EntityBuffer();
    const p = new ReplayPlayer(buf, () => {}, () => clock.now);
    p.accept({ type: REPLAY_RECORD.header, header });
    p.seek(F + 40_000); // before any frame: an incident's report, say
    p.accept(frame(0, true, [row(0, 117, F)]));
    p.accept(frame(10_000, false, [row(0, 117.001, F + 10_000)]));
    expect([p.state.time - F, buf.lon[0]]).toEqual([40_000, 117.001]);
    p.setSpeed(60);
    p.play();
    clock.now += 250;
    p.tick();
    expect(p.state.time - F).toBe(40_000); // the stream is at 10 s: it waits, it does not go back
    p.accept(frame(30_000, false, [row(0, 117.003, F + 30_000)]));
    p.accept(frame(50_000, false, [row(0, 117.005, F + 50_000)]));
    clock.now += 100;
    p.tick(); // 6 s at 60×: 46 s; the frames up to it are applied (the 50-s one not yet)
    expect([p.state.time - F, buf.lon[0]]).toEqual([46_000, 117.003]);
  });
});

describe('incidents at an instant', () => {
  const c: ReplayCase = {
    id: 7, code: 'LX-1', title: '井盖缺失', lon: 117, lat: 36, streetCode: '370102001', emergency: true, createdTs: 1000, closedTs: 5000,
    stages: [[1000, 'reported'], [2000, 'registered'], [3000, 'dispatched'], [5000, 'closed']],
  };
  it('a case is open from its report to its close, in the stage it was in', () => {
    expect([999, 1000, 2500, 3000, 4999, 5000].map((t) => stageAt(c, t))).toEqual([null, 'reported', 'registered', 'dispatched', 'dispatched', 'closed']);
    expect(openCasesAt([c], 4000).map((o) => [o.c.id, o.stage])).toEqual([[7, 'dispatched']]);
    expect(openCasesAt([c], 5000)).toEqual([]);
  });
  it('alarms active from start to end; marks inside the window only, in time order', () => {
    const a = { id: 3, type: 'binOverflow' as const, severity: 'major' as const, entityId: 'bin-1', entityName: '箱1', lon: 117, lat: 36, startTs: 1500, endTs: 2500, caseId: 7 };
    expect([1499, 1500, 2499, 2500].map((t) => activeAlarmsAt([a], t).length)).toEqual([0, 1, 1, 0]);
    expect(replayMarks({ cases: [c], alarms: [a] }, 1200, 6000).map((m) => [m.t, m.what, m.urgent])).toEqual([[1500, 'alarm', true], [5000, 'caseClosed', false]]);
  });
  it('district-local clock and day start (UTC+8)', () => {
    expect(localClock(Date.UTC(2026, 10, 27, 16, 5, 9), 'Asia/Shanghai')).toBe('00:05:09');
    expect(startOfLocalDay('2026-11-28', 'Asia/Shanghai')).toBe(Date.UTC(2026, 10, 27, 16, 0, 0));
    expect(startOfLocalDay('2026-07-01', 'Europe/Berlin')).toBe(Date.UTC(2026, 5, 30, 22, 0, 0));
  });
});
