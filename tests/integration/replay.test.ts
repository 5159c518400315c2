import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CONNECTIVITY, ENTITY_STATUSES } from '../../shared/entities.ts';
import { REPLAY_CONTENT_TYPE, ReplayStreamReader, type ReplayRecord } from '../../shared/replay-stream.ts';
import { EntityBuffer } from '../../client/realtime/entity-buffer.ts';
import { ReplayPlayer } from '../../client/replay/replay-player.ts';
import { activeAlarmsAt, openCasesAt } from '../../client/replay/incidents-at.ts';
import { call, login } from './ops-http.ts';
import { startServer, type RunningServer } from './server-harness.ts';

let s: RunningServer;
let admin: string;
beforeAll(async () => {
  // No generated past (SIM_HISTORY_DAYS): the tests seed their own history at known instants.
  s = await startServer({ SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0' });
  admin = await login(s.url, 'admin', s.firstStart!.adminPassword!);
});
afterAll(async () => s?.close());

/** A past instant, whole seconds: the seeded history happens around it. */
const T0 = Date.UTC(2026, 10, 20, 2, 0, 0);
const S = 1000;

async function stream(path: string, token = admin): Promise<{ records: ReplayRecord[]; chunks: number; type: string | null }> {
  const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, await (res.status === 200 ? Promise.resolve('') : res.clone().text())).toBe(200);
  const reader = new ReplayStreamReader();
  const records: ReplayRecord[] = [];
  let chunks = 0;
  const body = res.body!.getReader();
  for (;;) {
    const { done, value } = await body.read();
    if (done) break;
    chunks++;
    records.push(...reader.push(value));
  }
  reader.finish();
  return { records, chunks, type: res.headers.get('content-type') };
}

function playerOver(records: ReplayRecord[], clock: { now: number }) {
  const buffer = new EntityBuffer();
  const player = new ReplayPlayer(buffer, () => {}, () => clock.now);
  for (const r of records) player.accept(r);
  return { buffer, player };
}

describe('GET /api/replay', () => {
  it('streams the seeded history so that the player shows, at chosen instants, exactly what was reported', async () => {
    const live = s.app.live;
    const veh = live.all().find((e) => e.kind === 'vehicle')!;
    const stf = live.all().find((e) => e.kind === 'staff')!;
    const bin = live.all().find((e) => e.kind === 'bin')!;
    // History is written from the change stream with the arrival time: seeded at known past instants.
    live.apply(veh.id, { pos: { lon: 117.02, lat: 36.66, ts: T0 }, status: 'idle' }, T0);
    live.apply(bin.id, { attrs: { fill: 50 }, status: 'ok' }, T0 + 30 * S);
    live.apply(stf.id, { pos: { lon: 117.03, lat: 36.67, ts: T0 + 50 * S }, status: 'onDuty' }, T0 + 50 * S);
    live.apply(veh.id, { pos: { lon: 117.021, lat: 36.66, ts: T0 + 100 * S }, status: 'working' }, T0 + 100 * S);
    live.apply(stf.id, { pos: { lon: 117.0305, lat: 36.67, ts: T0 + 150 * S } }, T0 + 150 * S);
    live.apply(veh.id, { pos: { lon: 117.022, lat: 36.661, ts: T0 + 200 * S } }, T0 + 200 * S);
    live.apply(bin.id, { attrs: { fill: 85 }, status: 'full' }, T0 + 300 * S);
    await s.app.historyStore.flush();

    const from = T0 - 60 * S;
    const to = T0 + 1200 * S;
    const { records, chunks, type } = await stream(`/api/replay?from=${from}&to=${to}`);
    expect(type).toBe(REPLAY_CONTENT_TYPE);
    expect(chunks).toBeGreaterThanOrEqual(1);
    expect(records[0]).toMatchObject({ type: 1, header: { from, to, stepS: 1, keyframeS: 900, catalogId: live.catalogId } });
    expect(records[1]?.type).toBe(3);
    expect(records.at(-1)?.type).toBe(4);
    // frames: the keyframe at from, 7 deltas (one per reported instant), the keyframe at from + 900 s
    const end = records.at(-1) as Extract<ReplayRecord, { type: 4 }>;
    expect(end.end).toEqual({ frames: 9, keyframes: 2, rows: 0 + 7 + 3 });

    const clock = { now: 1000 };
    const { buffer, player } = playerOver(records, clock);
    const at = (t: number) => {
      player.seek(t);
      const pos = (i: number) => (buffer.hasPos[i] ? [buffer.lon[i], buffer.lat[i]] : null);
      return {
        veh: [pos(veh.index), ENTITY_STATUSES.vehicle[buffer.statusCode[veh.index]!]],
        stf: pos(stf.index),
        bin: [buffer.attrs[bin.index]?.['fill'], ENTITY_STATUSES.bin[buffer.statusCode[bin.index]!]],
      };
    };
    // Before any report nothing of them is known: not drawn.
    expect(at(from)).toEqual({ veh: [null, 'working'], stf: null, bin: [undefined, 'ok'] });
    expect(at(T0 + 10 * S)).toEqual({ veh: [[117.02, 36.66], 'idle'], stf: null, bin: [undefined, 'ok'] });
    expect(at(T0 + 120 * S)).toEqual({ veh: [[117.021, 36.66], 'working'], stf: [117.03, 36.67], bin: [50, 'ok'] });
    expect(at(T0 + 250 * S)).toEqual({ veh: [[117.022, 36.661], 'working'], stf: [117.0305, 36.67], bin: [50, 'ok'] });
    // After the keyframe at from + 900 s: from it, not from the start.
    expect(at(T0 + 1000 * S)).toEqual({ veh: [[117.022, 36.661], 'working'], stf: [117.0305, 36.67], bin: [85, 'full'] });
    expect(CONNECTIVITY[buffer.connectivity[veh.index]!]).toBe('online');
    // Seeking back forgets the later state.
    expect(at(T0 + 60 * S)).toEqual({ veh: [[117.02, 36.66], 'idle'], stf: [117.03, 36.67], bin: [50, 'ok'] });

    // Playing at 600×: two ticks of 0.15 s later it is 180 replayed seconds later (T0 + 120 s), then 120 s more (T0 + 240 s).
    player.seek(from);
    player.setSpeed(600);
    player.play();
    clock.now += 150;
    player.tick();
    clock.now += 150;
    player.tick();
    expect(player.state.time).toBe(T0 + 120 * S);
    clock.now += 200;
    player.tick();
    expect(player.state.time).toBe(T0 + 240 * S);
    expect([buffer.lon[veh.index], buffer.lat[veh.index], buffer.lon[stf.index]]).toEqual([117.022, 36.661, 117.0305]);
    // A stalled tick counts at most 0.25 s (150 replayed s here), and it stops at the end of the window.
    clock.now += 10_000;
    player.tick();
    expect(player.state.time).toBe(T0 + 390 * S);
    for (let k = 0; k < 10; k++) { clock.now += 250; player.tick(); }
    expect(player.state).toMatchObject({ time: to, playing: false });

    // A 2.5 h window is read an hour at a time: the report at T0 ends the second read, the others are in the third.
    const long = playerOver((await stream(`/api/replay?from=${T0 - 7200 * S}&to=${T0 + 1800 * S}`)).records, clock);
    long.player.seek(T0 + 10 * S);
    expect([long.buffer.lon[veh.index], long.buffer.lat[veh.index], long.buffer.hasPos[stf.index]]).toEqual([117.02, 36.66, 0]);
    long.player.seek(T0 + 250 * S);
    expect([long.buffer.lon[veh.index], long.buffer.lat[veh.index], long.buffer.lon[stf.index], long.buffer.attrs[bin.index]?.['fill']]).toEqual([117.022, 36.661, 117.0305, 50]);
    // keyframes every 900 s from T0 − 7200 s: empty until T0, then 1 entity (at T0) and 3 (at T0 + 900 s); plus the 7 deltas
    expect(long.player.end).toEqual({ frames: 17, keyframes: 10, rows: 7 + 1 + 3 });

    // Only some kinds, a longer step: the vehicle's two reports at +100 s and +200 s land in the frames at +120 s and +240 s.
    const some = await stream(`/api/replay?from=${from}&to=${to}&kinds=vehicle&step=60`);
    expect(some.records[0]).toMatchObject({ header: { kinds: ['vehicle'], stepS: 60, keyframeS: 9000 } });
    const frames = playerOver(some.records, clock);
    expect(frames.player.frames.map((f) => [f.t - T0, f.full])).toEqual([[-60_000, true], [0, false], [120_000, false], [240_000, false]]);
    frames.player.seek(T0 + 130 * S);
    expect([frames.buffer.lon[veh.index], frames.buffer.hasPos[stf.index], frames.buffer.attrs[bin.index]]).toEqual([117.021, 0, undefined]);
  });

  it('carries the cases and alarms of the window, and finds one incident\'s window with its timeline', async () => {
    const bin = s.app.district.pack.bins[3]!;
    const before = Date.now();
    // A real overflow: the rules raise binOverflow and open a case for it (未诉先办).
    expect(s.app.ingest.submit({ source: 'sim', deviceId: bin.id, ts: Date.now(), attrs: { fill: 97 } })).toMatchObject({ accepted: true });
    // The case is written to the store after the rules raised the alarm: its link follows within moments.
    await vi.waitFor(async () => expect((await s.app.alarms.active()).find((a) => a.entityId === bin.id)?.caseId).toEqual(expect.any(Number)));
    const alarm = (await s.app.alarms.active()).find((a) => a.entityId === bin.id)!;
    const { records } = await stream(`/api/replay?from=${before - 600_000}&to=${Date.now() + 1000}`);
    const inc = records.find((r) => r.type === 3) as Extract<ReplayRecord, { type: 3 }>;
    const c = inc.incidents.cases.find((x) => x.id === alarm.caseId)!;
    expect(c).toMatchObject({ lon: expect.any(Number), closedTs: null, stages: [[c.createdTs, 'reported'], [expect.any(Number), 'registered']] });
    expect(inc.incidents.alarms.map((a) => [a.id, a.type, a.entityId])).toContainEqual([alarm.id, 'binOverflow', bin.id]);
    expect(openCasesAt(inc.incidents.cases, c.createdTs - 1).some((o) => o.c.id === c.id)).toBe(false);
    expect(openCasesAt(inc.incidents.cases, Date.now()).find((o) => o.c.id === c.id)?.stage).toBe('registered');
    expect(activeAlarmsAt(inc.incidents.alarms, alarm.startTs).map((a) => a.id)).toContain(alarm.id);

    // A window that ended before the case: not in it.
    const old = await stream(`/api/replay?from=${T0}&to=${T0 + 60_000}`);
    expect((old.records[1] as Extract<ReplayRecord, { type: 3 }>).incidents.cases.map((x) => x.id)).not.toContain(c.id);

    const w = await call(s.url, admin, 'GET', `/api/replay/case/${c.id}`);
    expect(w.status).toBe(200);
    // Open: from its report − 5 min until now.
    expect(w.json).toMatchObject({ caseId: c.id, from: c.createdTs - 300_000 });
    expect(w.json.to).toBeGreaterThanOrEqual(before);
    expect(w.json.timeline.map((e: { action: string }) => e.action).slice(0, 2)).toEqual(['report', 'register']);
    expect((await call(s.url, admin, 'GET', '/api/replay/case/999999')).status).toBe(404);
    const badId = await call(s.url, admin, 'GET', '/api/replay/case/abc');
    expect(badId.status).toBe(400);
    expect(badId.json.error.message).toContain('id');
  });

  it('refuses malformed queries with a 400 naming the field, and checks roles', async () => {
    const q = async (query: string, token = admin) => call(s.url, token || undefined, 'GET', `/api/replay?${query}`);
    const cases: [string, RegExp][] = [
      ['from=abc&to=2000', /from/],
      ['to=2000', /from/],
      ['from=1000', /to/],
      ['from=5000&to=5000', /^to .* must be after from/],
      [`from=0&to=${24 * 3_600_000 + 1}`, /^to: .*24 h/],
      ['from=0&to=60000&kinds=staff,car', /^kinds: "car"/],
      ['from=0&to=60000&step=0', /step/],
      ['from=0&to=60000&step=601', /step/],
      ['from=0&to=60000&speed=2', /speed/],
    ];
    for (const [query, message] of cases) {
      const r = await q(query);
      expect(r.status, query).toBe(400);
      expect(r.json.error.message + JSON.stringify(r.json.error.details ?? ''), query).toMatch(message);
    }
    expect((await q('from=0&to=60000', s.firstStart!.wallToken)).status).toBe(403);

    // A store that fails: a 500 naming the request (nothing half-sent), and the server keeps serving.
    const sql = s.app.store.sql;
    await sql.exec('ALTER TABLE history_track RENAME TO history_track_away');
    try {
      const broken = await q(`from=${T0}&to=${T0 + 60_000}`);
      expect(broken.status).toBe(500);
      expect(broken.json.error).toMatchObject({ code: 'internal', message: expect.stringMatching(/^internal error \(request /) });
    } finally {
      await sql.exec('ALTER TABLE history_track_away RENAME TO history_track');
    }
    expect((await call(s.url, admin, 'GET', '/api/health')).status).toBe(200);
    expect((await stream(`/api/replay?from=${T0}&to=${T0 + 60_000}`)).records.at(-1)?.type).toBe(4);
    expect((await q('from=0&to=60000', '')).status).toBe(401);

    // Documented in /docs, with the record format in the description.
    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as { paths: Record<string, Record<string, { description?: string; tags?: string[] }>> };
    expect(doc.paths['/api/replay']?.['get']?.description).toMatch(/u32 LE n.*HEADER.*INCIDENTS.*FRAME.*END/s);
    expect(doc.paths['/api/replay/case/{id}']?.['get']?.tags).toEqual(['replay']);
  });
});
