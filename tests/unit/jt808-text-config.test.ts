/**
 * The JT/T 808 settings (JT808_*) and the text-message store: a message waits for a terminal
 * that is not connected, goes when it authenticates, is closed by its answer, and expires.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../server/config.ts';
import { migrate, openDatabase, type Db } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';
import { Jt808FrameSplitter } from '../../server/ingest/jt808/framing.ts';
import { decodeFrame, type Jt808Frame } from '../../server/ingest/jt808/frame.ts';
import { decodeText, MSG } from '../../server/ingest/jt808/messages.ts';
import { Jt808Session } from '../../server/ingest/jt808/session.ts';
import { DEFAULT_MUCK_SIGNALS } from '../../server/ingest/jt808/report.ts';
import { DEFAULT_SUBPACKAGE_LIMITS } from '../../server/ingest/jt808/subpackage.ts';
import { TextDownlink } from '../../server/ingest/jt808/text-downlink.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { dispatchText } from '../../server/plugins/jt808.ts';

describe('JT808_* configuration', () => {
  it('listens on 7808 by default, on any free port when the HTTP port is any free port, or not at all', () => {
    expect(loadConfig({}).jt808).toMatchObject({ port: 7808, utcOffsetMin: 480, textOnDispatch: true, textTtlMs: 3_600_000, muck: DEFAULT_MUCK_SIGNALS });
    expect(loadConfig({ PORT: '0' }).jt808.port).toBe(0);
    expect(loadConfig({ PORT: '0', JT808_PORT: '17808' }).jt808.port).toBe(17808);
    expect(loadConfig({ JT808_PORT: 'off' }).jt808.port).toBe('off');
    expect(loadConfig({}).jt808.limits).toMatchObject({ idleTimeoutMs: 180_000, authTimeoutMs: 60_000, maxConnections: 20_000, framesPerSecond: 20 });
  });

  it('reads the muck-truck signals and the clock offset, and names what is wrong', () => {
    const c = loadConfig({ JT808_MUCK_LOAD: '!bit:20', JT808_MUCK_LID: 'tlv:0xE5', JT808_UTC_OFFSET_MIN: '0', JT808_TEXT_ON_DISPATCH: 'false' }).jt808;
    expect(c.muck).toEqual({ loaded: { from: 'bit', bit: 20, invert: true }, lidSealed: { from: 'tlv', id: 0xe5, invert: false } });
    expect(c.utcOffsetMin).toBe(0);
    expect(c.textOnDispatch).toBe(false);
    expect(() => loadConfig({ JT808_MUCK_LID: 'standard' })).toThrow(/JT808_MUCK_LID: "standard"/);
    expect(() => loadConfig({ JT808_MUCK_LOAD: 'bit:40', JT808_UTC_OFFSET_MIN: '900' })).toThrow(ConfigError);
    expect(() => loadConfig({ JT808_PORT: '99999' })).toThrow(/JT808_PORT: 99999/);
    expect(() => loadConfig({ JT808_IDLE_TIMEOUT_S: '0' })).toThrow(/JT808_IDLE_TIMEOUT_S: must be at least 1/);
    expect(describeConfig(loadConfig({ JT808_PORT: 'off' }))).toMatchObject({ jt808: { port: 'off', utcOffsetMin: 480, textOnDispatch: true } });
  });
});

describe('text messages to terminals', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function setup() {
    dir = mkdtempSync(join(tmpdir(), 'jt808-text-'));
    const db: Db = openDatabase(dir);
    migrate(db, MIGRATIONS);
    let now = Date.UTC(2026, 11, 7, 2);
    const sent: Jt808Frame[] = [];
    const splitter = new Jt808FrameSplitter({ frame: (c) => { const d = decodeFrame(c); if (d.ok) sent.push(d.frame); }, error: () => {} });
    const session = new Jt808Session({
      directory: { registerTerminal: async () => ({ outcome: 'refused', reason: 'closed', detail: '' }), authenticate: () => ({ ok: true, entityId: 'veh-001' }), connected: () => {}, disconnected: () => {}, refused: () => {}, deviceFor: () => undefined },
      ingest: { submit: () => ({ accepted: true, entityId: 'veh-001' }) },
      kindOf: () => 'vehicle', muck: DEFAULT_MUCK_SIGNALS, tzOffsetMin: 480, subpackageLimits: DEFAULT_SUBPACKAGE_LIMITS, maxBatchItems: 256,
      now: () => now, count: () => {}, onAuthenticated: () => {}, onAnswer: () => {},
    }, { address: 'x', send: (b) => splitter.push(b), close: () => {} });
    session.deviceId = '013900000001';
    let online = false;
    const texts = new TextDownlink(new SqliteStore(db), (t) => (online && t === session.deviceId ? session : undefined), 60_000, () => now);
    return { db, texts, session, sent, setOnline: (v: boolean) => { online = v; }, tick: (ms: number) => { now += ms; }, now: () => now };
  }

  it('queues for a terminal that is not connected and sends when it authenticates; the answer closes it', async () => {
    const h = setup();
    const queued = await h.texts.send({ id: 7, deviceId: '013900000001' }, '请到经十路', 'admin');
    expect(queued).toMatchObject({ deviceId: 7, status: 'queued', sentAt: null, result: null, caseId: null, sentBy: 'admin' });
    expect(h.sent).toHaveLength(0);
    h.setOnline(true);
    h.tick(1000);
    await h.texts.onSession(h.session);
    expect(h.sent).toHaveLength(1);
    expect(h.sent[0]!.header.messageId).toBe(MSG.text);
    expect(decodeText(h.sent[0]!.body)).toMatchObject({ ok: true, value: { text: '请到经十路' } });
    expect((await h.texts.list(7))[0]).toMatchObject({ status: 'sent', sentAt: h.now() });
    // An answer to another message, or to another serial, is not this one's.
    expect(await h.texts.onAnswer({ deviceId: '013900000001', serial: h.sent[0]!.header.serial, messageId: MSG.positionQuery, result: 0 })).toBe(false);
    expect(await h.texts.onAnswer({ deviceId: '013900000001', serial: h.sent[0]!.header.serial + 1, messageId: MSG.text, result: 0 })).toBe(false);
    h.tick(500);
    expect(await h.texts.onAnswer({ deviceId: '013900000001', serial: h.sent[0]!.header.serial, messageId: MSG.text, result: 1 })).toBe(true);
    expect((await h.texts.list(7))[0]).toMatchObject({ status: 'failed', result: 1, answeredAt: h.now() });
  });

  it('expires what waited or went unanswered past its time, and only that', async () => {
    const h = setup();
    await h.texts.send({ id: 7, deviceId: '013900000001' }, 'old', 'admin');
    h.setOnline(true);
    h.tick(30_000);
    await h.texts.send({ id: 7, deviceId: '013900000001' }, 'unanswered', 'dispatch', 42);
    h.tick(31_000);
    expect(await h.texts.expire()).toBe(1);
    expect((await h.texts.list(7)).map((m) => [m.text, m.status, m.caseId])).toEqual([['unanswered', 'sent', 42], ['old', 'expired', null]]);
    h.tick(30_000);
    expect((await h.texts.list(7)).map((m) => m.status)).toEqual(['expired', 'expired']);
  });

  it('words a dispatch as case number, what and where, within the terminal text limit', () => {
    expect(dispatchText({ code: 'LX-20261207-0001', title: '道路不洁', location: { address: '经十路 100 号' } })).toBe('【派遣】LX-20261207-0001 道路不洁 · 经十路 100 号');
    expect(dispatchText({ code: 'C', title: 'x'.repeat(300), location: { address: null } })).toHaveLength(200);
  });
});
