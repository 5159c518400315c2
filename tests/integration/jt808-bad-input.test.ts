/**
 * Bad input at the JT/T 808 gateway of the real server: more than 10,000 malformed frames
 * (garbage, bad checksums, lying lengths, broken escapes, oversized frames, subpackage bombs,
 * unknown and unauthenticated messages), a frame split at every byte, slow-loris connections
 * and a flood from one authenticated terminal — while an emulated terminal keeps reporting.
 * The server stays up, the honest terminal is still acknowledged, every refusal is counted
 * by its reason, and no connection's state outlives it.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame } from '../../server/ingest/jt808/frame.ts';
import { escapeFrame, Jt808FrameSplitter, xorChecksum } from '../../server/ingest/jt808/framing.ts';
import { decodeFrame, type Jt808Frame } from '../../server/ingest/jt808/frame.ts';
import { encodeLocation } from '../../server/ingest/jt808/location.ts';
import { encodeBatch, encodeRegistration, MSG } from '../../server/ingest/jt808/messages.ts';
import { DEFAULT_FLEET, EmulatedFleet } from '../../scripts/jt808/fleet.ts';
import { loadRoadGraph, rng } from '../../scripts/jt808/road-walk.ts';
import { startServer, type RunningServer } from './server-harness.ts';

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A hand-driven terminal connection: writes bytes as told, collects the platform's frames. */
class RawTerminal {
  readonly frames: Jt808Frame[] = [];
  closed = false;
  private serial = 0;
  private constructor(readonly socket: Socket, readonly phone: string) {}

  static async open(port: number, phone: string): Promise<RawTerminal> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const t = new RawTerminal(socket, phone);
    const splitter = new Jt808FrameSplitter({ frame: (c) => { const d = decodeFrame(c); if (d.ok) t.frames.push(d.frame); }, error: () => {} });
    socket.on('data', (b: Buffer) => splitter.push(b));
    socket.on('error', () => {});
    socket.on('close', () => { t.closed = true; });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    return t;
  }

  frame(messageId: number, body: Buffer): Buffer {
    return encodeFrame({ messageId, phone: this.phone, serial: this.serial++ }, body);
  }

  async login(): Promise<void> {
    this.socket.write(this.frame(MSG.register, encodeRegistration({ manufacturer: 'T', model: 'RAW', terminalId: '1', plateColor: 0, plate: '' })));
    await until('registration answer', () => this.frames.some((f) => f.header.messageId === MSG.registerAnswer));
    const code = this.frames.find((f) => f.header.messageId === MSG.registerAnswer)!.body.subarray(3);
    this.socket.write(this.frame(MSG.authenticate, code));
    await until('authentication answer', () => this.frames.some((f) => f.header.messageId === MSG.platformResponse && f.body.readUInt16BE(2) === MSG.authenticate));
  }
}

/** Frames with the checksum recomputed over content we chose (so that it is not the checksum that is wrong). */
function withChecksum(content: Buffer): Buffer {
  const c = Buffer.concat([content, Buffer.from([0])]);
  c[c.length - 1] = xorChecksum(c, 0, c.length - 1);
  return escapeFrame(c);
}

function unescaped(wire: Buffer): Buffer {
  let out: Buffer | undefined;
  new Jt808FrameSplitter({ frame: (c) => { out = Buffer.from(c); }, error: () => {} }).push(wire);
  return out!;
}

/** The malformed frames, by the reason the gateway must give; deterministic. */
function malformedFrames(seed: number, phone: string) {
  const random = rng(seed);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const header = (messageId: number, bodyLen: number, props = 0) => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(messageId, 0);
    h.writeUInt16BE((bodyLen & 0x3ff) | props, 2);
    h.write(phone, 4, 6, 'hex');
    h.writeUInt16BE(Math.floor(random() * 65536), 10);
    return h;
  };
  const byReason: Record<string, Buffer[]> = {
    badChecksum: [], bodyLength: [], badEscape: [], frameTooLong: [], truncated: [], unauthenticated: [], unsupportedMessage: [], malformedRegistration: [], subpackageTooMany: [], encrypted: [],
  };
  for (let i = 0; i < 1100; i++) {
    const good = encodeFrame({ messageId: MSG.location, phone, serial: i }, encodeLocation({ lat: 36.6 + random() / 10, lon: 117 + random() / 10, ts: Date.now() }));
    const content = unescaped(good);
    // A flipped bit anywhere after the escapes are resolved: the XOR no longer matches.
    const at = Math.floor(random() * (content.length - 1));
    content[at] = content[at]! ^ (1 << Math.floor(random() * 8));
    byReason.badChecksum!.push(escapeFrame(content));
    byReason.bodyLength!.push(withChecksum(Buffer.concat([header(MSG.location, 28), bytes(Math.floor(random() * 27))])));
    // An escaped header (its random serial may hold 7e or 7d), then 7d followed by neither 01 nor 02.
    byReason.badEscape!.push(Buffer.concat([escapeFrame(header(MSG.heartbeat, 0)).subarray(0, -1), Buffer.from([0x7d, 0x03 + Math.floor(random() * 0x7a), 0x7e])]));
    byReason.frameTooLong!.push(Buffer.concat([Buffer.from([0x7e]), Buffer.from(bytes(1100).map((b) => (b === 0x7e || b === 0x7d ? 0x55 : b))), Buffer.from([0x7e])]));
    byReason.truncated!.push(withChecksum(bytes(1 + Math.floor(random() * 10))));
    byReason.unauthenticated!.push(withChecksum(Buffer.concat([header(MSG.location, 40), bytes(40)])));
    byReason.unsupportedMessage!.push(withChecksum(Buffer.concat([header(0x0900 + Math.floor(random() * 0xff), 8), bytes(8)])));
    byReason.malformedRegistration!.push(withChecksum(Buffer.concat([header(MSG.register, 10), bytes(10)])));
    const sub = header(MSG.batch, 4, 1 << 13);
    byReason.subpackageTooMany!.push(withChecksum(Buffer.concat([sub, Buffer.from([0xff, 0xff, 0x00, 0x01]), bytes(4)])));
    byReason.encrypted!.push(withChecksum(Buffer.concat([header(MSG.location, 4, 1 << 10), bytes(4)])));
  }
  return byReason;
}

let s: RunningServer;
let honest: EmulatedFleet;
const graph = loadRoadGraph('data/lixia/road-graph.json');

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', JT808_REGISTRATION: 'open', JT808_FRAMES_PER_S: '50', JT808_IDLE_TIMEOUT_S: '2', JT808_AUTH_TIMEOUT_S: '3' });
  honest = new EmulatedFleet({ ...DEFAULT_FLEET, port: s.app.jt808.port!, terminals: 3, intervalS: 0.5, retryS: 0.3, phoneBase: 13500000000 }, graph);
  honest.start(50);
  await until('the honest terminals report', () => honest.countIn('reporting') === 3 && honest.stats.acked >= 6);
});
afterAll(async () => {
  honest?.stop();
  await s?.close();
});

const refused = () => s.app.jt808.stats()!.refused;

describe('JT/T 808 gateway under bad input', () => {
  it('refuses more than 10,000 malformed frames, each counted by its reason, while honest terminals keep reporting', async () => {
    const before = { ...refused() };
    const ackedBefore = honest.stats.acked;
    const byReason = malformedFrames(808, '013600000001');
    const all = Object.entries(byReason).flatMap(([reason, frames]) => frames.map((f) => ({ reason, f })));
    expect(all.length).toBeGreaterThanOrEqual(10_000);
    // Shuffled, over connections of at most 150 frames each (under the per-connection burst, so each frame reaches the decoder).
    const random = rng(7);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    for (let k = 0; k < all.length; k += 150) {
      const t = await RawTerminal.open(s.app.jt808.port!, '013600000001');
      // end(), not destroy(): every byte written reaches the server before the connection goes.
      t.socket.end(Buffer.concat(all.slice(k, k + 150).map((x) => x.f)));
      await until('the server closes its side', () => t.closed, 10_000);
    }
    const expected = Object.fromEntries(Object.entries(byReason).map(([r, f]) => [r, f.length]));
    // Every connection was closed by the server after reading its last byte, so the counts are final here.
    const counted = Object.fromEntries(Object.keys(expected).map((r) => [r, (refused()[r] ?? 0) - (before[r] ?? 0)]));
    expect(counted).toEqual(expected);
    expect(refused().internalError).toBeUndefined();
    // The server still serves and the honest terminals are still acknowledged.
    expect((await fetch(`${s.url}/api/health`)).status).toBe(200);
    await until('honest reports keep being acknowledged', () => honest.stats.acked >= ackedBefore + 6);
    await until('no attacker connection is held', () => s.app.jt808.stats()!.connections === 3);
    // The registry counts the refusals it could attribute; none of it took the honest devices down.
    expect(honest.countIn('reporting')).toBe(3);
  });

  it('decodes a report written one byte per TCP segment', async () => {
    const t = await RawTerminal.open(s.app.jt808.port!, '013600000002');
    await t.login();
    const entityId = 'rt-jt808-013600000002';
    const wire = t.frame(MSG.location, encodeLocation({ lat: 36.6612, lon: 117.0345, speedKph: 12, course: 45, ts: Math.floor(Date.now() / 1000) * 1000, status: 0b11 }));
    for (const b of wire) {
      t.socket.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    await until('the entity is at the reported position', () => {
      const p = s.app.live.get(entityId)?.pos;
      return p !== undefined && Math.abs(p.lat - 36.6612) < 1e-6 && Math.abs(p.lon - 117.0345) < 1e-6;
    });
    t.socket.destroy();
  });

  it('closes slow-loris connections that never complete a frame, and the ones that never authenticate', async () => {
    const closedBefore = { ...s.app.jt808.stats()!.closed };
    const loris = await Promise.all(Array.from({ length: 40 }, (_, i) => RawTerminal.open(s.app.jt808.port!, `0136000010${String(i).padStart(2, '0')}`)));
    const chatty = await Promise.all(Array.from({ length: 5 }, (_, i) => RawTerminal.open(s.app.jt808.port!, `0136000020${String(i).padStart(2, '0')}`)));
    const trickle = setInterval(() => {
      for (const t of loris) if (!t.closed) t.socket.write(Buffer.from([0x7e, 0x01]).subarray(t.socket.bytesWritten === 0 ? 0 : 1));
      // Heartbeats are complete frames, but no authentication ever comes.
      for (const t of chatty) if (!t.closed) t.socket.write(t.frame(MSG.heartbeat, Buffer.alloc(0)));
    }, 200);
    try {
      await until('the slow-loris connections are closed', () => loris.every((t) => t.closed) && chatty.every((t) => t.closed), 15_000);
    } finally {
      clearInterval(trickle);
    }
    const closed = s.app.jt808.stats()!.closed;
    expect((closed.idle ?? 0) - (closedBefore.idle ?? 0)).toBe(40);
    expect((closed.authTimeout ?? 0) - (closedBefore.authTimeout ?? 0)).toBe(5);
    expect(honest.countIn('reporting')).toBe(3);
  });

  it('drops a flood from one terminal, then closes it, and the others keep reporting', async () => {
    const t = await RawTerminal.open(s.app.jt808.port!, '013600000003');
    await t.login();
    const floodBefore = refused().flood ?? 0;
    const ackedBefore = honest.stats.acked;
    const hb = Buffer.concat(Array.from({ length: 5000 }, () => t.frame(MSG.heartbeat, Buffer.alloc(0))));
    t.socket.write(hb);
    await until('the flooding terminal is closed', () => t.closed);
    expect(s.app.jt808.stats()!.closed.flood).toBe(1);
    // Its burst was answered; the rest up to the closing was counted as flood.
    expect((refused().flood ?? 0) - floodBefore).toBe(2000);
    await until('honest reports keep being acknowledged', () => honest.stats.acked >= ackedBefore + 6);
    expect(honest.countIn('reporting')).toBe(3);
  });

  it('raises the driver SOS alarm from an SOS inside a blind-area batch, though the live marker stays where it is', async () => {
    const t = await RawTerminal.open(s.app.jt808.port!, '013600000004');
    await t.login();
    const entityId = 'rt-jt808-013600000004';
    const now = Math.floor(Date.now() / 1000) * 1000;
    t.socket.write(t.frame(MSG.location, encodeLocation({ lat: 36.67, lon: 117.05, ts: now, status: 0b11 })));
    await until('the live position', () => s.app.live.get(entityId)?.pos?.ts === now);
    // Ten minutes ago, out of coverage, the driver pressed SOS; the batch arrives now.
    const late = [600, 590].map((ago, k) => encodeLocation({ lat: 36.66 + k / 1000, lon: 117.04, ts: now - ago * 1000, status: 0b11, alarm: k === 0 ? 1 : 0 }));
    t.socket.write(t.frame(MSG.batch, encodeBatch(1, late)));
    await until('the driver SOS alarm', async () => (await s.app.alarms.active()).some((a) => a.entityId === entityId && a.type === 'driverSos'));
    expect(s.app.live.get(entityId)!.pos).toMatchObject({ lat: 36.67, lon: 117.05, ts: now });
    t.socket.destroy();
  });

  it('closes the older connection of a terminal that connects again, and keeps it connected in the registry', async () => {
    const first = await RawTerminal.open(s.app.jt808.port!, '013600000005');
    await first.login();
    const second = await RawTerminal.open(s.app.jt808.port!, '013600000005');
    await second.login();
    await until('the older connection is closed', () => first.closed);
    expect(s.app.jt808.stats()!.closed.replaced).toBe(1);
    expect(second.closed).toBe(false);
    expect(s.app.deviceDirectory.find('jt808', '013600000005')?.connected).toBe(true);
    const before = second.frames.length;
    second.socket.write(second.frame(MSG.heartbeat, Buffer.alloc(0)));
    await until('the newer connection is answered', () => second.frames.length > before);
    second.socket.destroy();
  });
});
