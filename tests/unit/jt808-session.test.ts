/**
 * The terminal session's state machine against a small in-memory registry (the DevicePort
 * contract) and a recording ingest: what a terminal must do before its reports count, what
 * each refusal answers and counts, and what reaches the ingest.
 */
import { describe, expect, it } from 'vitest';
import type { EntityKind } from '../../shared/entities.ts';
import type { AuthResult, DevicePort, RegistrationResult, TerminalRegistration } from '../../server/devices/ports.ts';
import type { IngestUpdate } from '../../server/ingest/types.ts';
import { escapeFrame, Jt808FrameSplitter, xorChecksum } from '../../server/ingest/jt808/framing.ts';
import { decodeFrame, encodeFrame, type Jt808Frame } from '../../server/ingest/jt808/frame.ts';
import { encodeLocation } from '../../server/ingest/jt808/location.ts';
import { decodeGeneralResponse, decodeText, encodeBatch, encodeGeneralResponse, encodeRegistration, MSG } from '../../server/ingest/jt808/messages.ts';
import { DEFAULT_MUCK_SIGNALS, type MuckSignals } from '../../server/ingest/jt808/report.ts';
import { Jt808Session, type DownlinkAnswer } from '../../server/ingest/jt808/session.ts';
import { DEFAULT_SUBPACKAGE_LIMITS } from '../../server/ingest/jt808/subpackage.ts';

const T = Date.UTC(2026, 11, 7, 2, 0, 0);
const PHONE = '013912340001';

/** The registry as the port describes it, in memory: policy, plate match, auth codes. */
class MemoryDirectory implements DevicePort {
  policy: 'open' | 'quarantine' | 'closed' = 'open';
  readonly devices = new Map<string, { entityId?: string; authCode?: string; state: 'active' | 'quarantined' }>();
  readonly events: string[] = [];
  readonly refusals: Array<{ deviceId: string | undefined; reason: string; detail: string }> = [];
  constructor(private readonly plates: Record<string, string>) {}

  async registerTerminal(req: TerminalRegistration): Promise<RegistrationResult> {
    if (this.policy === 'closed') return { outcome: 'refused', reason: 'closed', detail: 'closed' };
    if (this.policy === 'quarantine') {
      this.devices.set(req.deviceId, { state: 'quarantined' });
      return { outcome: 'quarantined', detail: 'waiting for an admin' };
    }
    const entityId = (req.plate && this.plates[req.plate]) || `jt808-${req.deviceId}`;
    const authCode = `code-${req.deviceId}`;
    this.devices.set(req.deviceId, { entityId, authCode, state: 'active' });
    return { outcome: 'accepted', entityId, authCode };
  }

  authenticate(_p: string, deviceId: string, authCode: string): AuthResult {
    const d = this.devices.get(deviceId);
    if (!d) return { ok: false, reason: 'unknownDevice', detail: 'unknown' };
    if (d.state === 'quarantined') return { ok: false, reason: 'quarantined', detail: 'quarantined' };
    if (d.authCode !== authCode) return { ok: false, reason: 'badAuthCode', detail: 'wrong code' };
    return { ok: true, entityId: d.entityId! };
  }

  connected(_p: string, id: string): void { this.events.push(`connected ${id}`); }
  disconnected(_p: string, id: string): void { this.events.push(`disconnected ${id}`); }
  refused(_p: string, deviceId: string | undefined, reason: string, detail: string): void { this.refusals.push({ deviceId, reason, detail }); }
  deviceFor(): string | undefined { return undefined; }
}

function harness(opts: { kinds?: Record<string, EntityKind>; muck?: MuckSignals; plates?: Record<string, string> } = {}) {
  const directory = new MemoryDirectory(opts.plates ?? {});
  const submitted: IngestUpdate[] = [];
  const counts: Record<string, number> = {};
  const answers: DownlinkAnswer[] = [];
  const sent: Jt808Frame[] = [];
  let closed: string | undefined;
  const session = new Jt808Session({
    directory,
    ingest: { submit: (u) => { submitted.push(u); return { accepted: true, entityId: 'x' }; } },
    kindOf: (id) => opts.kinds?.[id] ?? 'vehicle',
    muck: opts.muck ?? DEFAULT_MUCK_SIGNALS,
    tzOffsetMin: 480,
    subpackageLimits: DEFAULT_SUBPACKAGE_LIMITS,
    maxBatchItems: 256,
    now: () => T,
    count: (r) => { counts[r] = (counts[r] ?? 0) + 1; },
    onAuthenticated: () => {},
    onAnswer: (a) => answers.push(a),
  }, {
    address: '10.0.0.9:4000',
    send: (wire) => {
      const s = new Jt808FrameSplitter({ frame: (c) => { const d = decodeFrame(c); if (d.ok) sent.push(d.frame); }, error: () => {} });
      s.push(wire);
    },
    close: (reason) => { closed = reason; },
  });
  const splitter = new Jt808FrameSplitter({ frame: (c) => session.handleContent(c), error: (r, d) => session.framingError(r, d) });
  let serial = 100;
  const send = (messageId: number, body: Buffer, phone = PHONE, extra: { version2019?: boolean } = {}) => {
    splitter.push(encodeFrame({ messageId, phone, serial: serial++, ...extra }, body));
    return sent.at(-1);
  };
  /** Sends 0x0100 and waits for the registry's answer (0x8100 goes out once it resolves). */
  const register = async (plate = '') => {
    send(MSG.register, encodeRegistration({ manufacturer: 'X', model: 'M', terminalId: 'T1', plateColor: plate ? 2 : 0, plate }));
    await new Promise((r) => setImmediate(r));
    return sent.at(-1);
  };
  const login = async (plate = '') => {
    const ans = (await register(plate))!;
    return send(MSG.authenticate, ans.body.subarray(3));
  };
  return { directory, session, submitted, counts, answers, sent, send, register, login, get closed() { return closed; }, splitter };
}

const result = (f: Jt808Frame | undefined) => (f ? decodeGeneralResponse(f.body) : undefined);

describe('JT/T 808 session', () => {
  it('registers, authenticates with the code it was given, and reports into the ingest', async () => {
    const h = harness({ plates: { '鲁A·10001': 'veh-001' } });
    const reg = (await h.register('鲁A·10001'))!;
    expect(reg.header.messageId).toBe(MSG.registerAnswer);
    expect(reg.body.readUInt16BE(0)).toBe(100);
    expect(reg.body[2]).toBe(0);
    expect(reg.body.toString('latin1', 3)).toBe(`code-${PHONE}`);

    expect(result(h.send(MSG.authenticate, Buffer.from('guess')))).toEqual({ ok: true, value: { serial: 101, messageId: MSG.authenticate, result: 1 } });
    expect(h.counts['auth:badAuthCode']).toBe(1);
    expect(result(h.send(MSG.authenticate, Buffer.from(`code-${PHONE}`)))?.ok && h.session.authenticated).toBe(true);
    expect(h.session.entityId).toBe('veh-001');
    expect(h.directory.events).toEqual([`connected ${PHONE}`]);

    const body = encodeLocation({ lat: 36.66, lon: 117.02, speedKph: 35.5, course: 90, ts: T - 5000, status: 0b11, alarm: 0, tlv: [[0x01, Buffer.from('000004d2', 'hex')], [0x02, Buffer.from('0190', 'hex')], [0x30, Buffer.from([21])], [0x31, Buffer.from([9])]] });
    expect(result(h.send(MSG.location, body))).toEqual({ ok: true, value: { serial: 103, messageId: MSG.location, result: 0 } });
    expect(h.submitted).toEqual([{
      source: 'jt808', deviceId: PHONE, ts: T - 5000, status: 'idle',
      pos: { lon: 117.02, lat: 36.66, speed: 35.5, heading: 90, valid: true },
      attrs: { sos: false, acc: true, terminalAlarms: 0, mileageKm: 123.4, fuelL: 40, rssi: 21, satellites: 9 },
    }]);
  });

  it('refuses reports, heartbeats and batches before authentication, and reports under another phone after it', async () => {
    const h = harness();
    const loc = encodeLocation({ lat: 36.66, lon: 117.02, ts: T });
    expect(result(h.send(MSG.location, loc))?.ok && result(h.send(MSG.location, loc))).toMatchObject({ value: { result: 1 } });
    expect(result(h.send(MSG.heartbeat, Buffer.alloc(0)))).toMatchObject({ value: { result: 1 } });
    expect(h.counts.unauthenticated).toBe(3);
    await h.login();
    expect(result(h.send(MSG.heartbeat, Buffer.alloc(0)))).toMatchObject({ value: { result: 0 } });
    h.send(MSG.location, loc, '013999999999');
    expect(h.counts.phoneMismatch).toBe(1);
    expect(h.submitted).toEqual([]);
    expect(h.directory.refusals.map((r) => r.reason)).toEqual(['unauthenticated', 'unauthenticated', 'unauthenticated', 'phoneMismatch']);
  });

  it('answers a quarantined registration with "terminal not in the database" and counts it', async () => {
    const h = harness();
    h.directory.policy = 'quarantine';
    const reg = (await h.register())!;
    expect(reg.body[2]).toBe(4);
    expect(reg.body.length).toBe(3);
    expect(h.counts.registrationQuarantined).toBe(1);
    expect(result(h.send(MSG.authenticate, Buffer.from('anything')))).toMatchObject({ value: { result: 1 } });
  });

  it('closes the connection after three failed authentications, never logging the code', async () => {
    const h = harness();
    await h.register();
    for (let i = 0; i < 3; i++) h.send(MSG.authenticate, Buffer.from('secret-guess'));
    expect(h.closed).toBe('authFailures');
    expect(JSON.stringify(h.directory.refusals)).not.toContain('secret-guess');
  });

  it('drops a frame with a bad checksum, counts it against the phone, and keeps the session', async () => {
    const h = harness();
    await h.login();
    const wire = encodeFrame({ messageId: MSG.location, phone: PHONE, serial: 9 }, encodeLocation({ lat: 36.66, lon: 117.02, ts: T }));
    wire[wire.length - 2] = wire[wire.length - 2]! ^ 0x01;
    h.splitter.push(wire);
    expect(h.counts.badChecksum).toBe(1);
    expect(h.directory.refusals.at(-1)).toMatchObject({ deviceId: PHONE, reason: 'badChecksum' });
    h.send(MSG.location, encodeLocation({ lat: 36.66, lon: 117.02, ts: T }));
    expect(h.submitted).toHaveLength(1);
  });

  it('submits a blind-area batch oldest first, and an SOS inside it reaches the ingest', async () => {
    const h = harness();
    await h.login();
    const items = [T - 1000, T - 3000, T - 2000].map((ts, i) => encodeLocation({ lat: 36.66 + i / 1000, lon: 117.02, ts, alarm: i === 1 ? 1 : 0 }));
    expect(result(h.send(MSG.batch, encodeBatch(1, items)))).toMatchObject({ value: { result: 0 } });
    expect(h.submitted.map((u) => [u.ts, u.attrs?.sos])).toEqual([[T - 3000, true], [T - 2000, false], [T - 1000, false]]);
  });

  it('keeps a report whose additional items are malformed, and counts the tail', async () => {
    const h = harness();
    await h.login();
    h.send(MSG.location, Buffer.concat([encodeLocation({ lat: 36.66, lon: 117.02, ts: T }), Buffer.from('31010ae505', 'hex')]));
    expect(h.submitted[0]?.attrs).toMatchObject({ satellites: 10 });
    expect(h.counts.malformedTlv).toBe(1);
  });

  it('reads a muck truck\'s load from the standard bits and its lid from a vendor item', async () => {
    const h = harness({ kinds: { 'muck-001': 'muckTruck' }, plates: { '鲁A·Y0015': 'muck-001' }, muck: { loaded: { from: 'standardLoad' }, lidSealed: { from: 'tlv', id: 0xe5, invert: true } } });
    await h.login('鲁A·Y0015');
    h.send(MSG.location, encodeLocation({ lat: 36.66, lon: 117.02, ts: T, speedKph: 20, status: 0b11 | (0b11 << 8), tlv: [[0xe5, Buffer.from([1])]] }));
    h.send(MSG.location, encodeLocation({ lat: 36.66, lon: 117.02, ts: T + 1000, speedKph: 0, status: 0b10, tlv: [[0xe5, Buffer.from([0])]] }));
    expect(h.submitted.map((u) => [u.status, u.attrs?.loaded, u.attrs?.lidSealed])).toEqual([['loaded', true, false], ['parked', false, true]]);
  });

  it('sends a text message and passes the terminal\'s 0x0001 answer on', async () => {
    const h = harness();
    await h.login();
    const serial = h.session.sendText('请到经十路清运');
    const down = h.sent.at(-1)!;
    expect(down.header.messageId).toBe(MSG.text);
    expect(decodeText(down.body)).toEqual({ ok: true, value: { flags: 0x0c, text: '请到经十路清运' } });
    h.send(MSG.terminalResponse, encodeGeneralResponse({ serial, messageId: MSG.text, result: 0 }));
    expect(h.answers).toEqual([{ deviceId: PHONE, serial, messageId: MSG.text, result: 0 }]);
  });

  it('answers a 2019 terminal in 2019 headers and marks unsupported messages', async () => {
    const h = harness();
    const ans = h.send(MSG.heartbeat, Buffer.alloc(0), '00000013912340001', { version2019: true })!;
    expect(ans.header.version2019).toBe(true);
    expect(ans.header.phone).toBe('00000000013912340001');
    await h.login();
    expect(result(h.send(0x0900, Buffer.from([1, 2, 3])))).toMatchObject({ value: { result: 3 } });
    expect(h.counts.unsupportedMessage).toBe(1);
  });

  it('reassembles a batch sent in subpackages before it reaches the ingest', async () => {
    const h = harness();
    await h.login();
    const body = encodeBatch(0, [T - 2000, T - 1000].map((ts) => encodeLocation({ lat: 36.66, lon: 117.02, ts })));
    const parts = [body.subarray(0, 20), body.subarray(20, 45), body.subarray(45)];
    parts.forEach((part, k) => {
      // 0x0704, subpackage bit 13 + length, phone, serial 500+k, total 3, index k+1
      const content = Buffer.concat([Buffer.from([0x07, 0x04, 0x20 | (part.length >> 8), part.length & 0xff]), Buffer.from(PHONE, 'hex'), Buffer.from([0x01, 0xf4 + k, 0, 3, 0, k + 1]), part, Buffer.from([0])]);
      content[content.length - 1] = xorChecksum(content, 0, content.length - 1);
      h.splitter.push(escapeFrame(content));
      if (k < 2) expect(h.submitted).toHaveLength(0);
    });
    expect(h.submitted.map((u) => u.ts)).toEqual([T - 2000, T - 1000]);
    // The answer goes to the first package's serial.
    expect(result(h.sent.at(-1))).toMatchObject({ value: { serial: 500, messageId: MSG.batch, result: 0 } });
  });

  it('answers a registration the registry cannot take with a failure, and one with an absurd plate as a wrong message', async () => {
    const h = harness();
    h.directory.registerTerminal = () => { throw new Error('no entity can be made for this terminal'); };
    expect(result(await h.register('鲁A·12345'))).toMatchObject({ value: { messageId: MSG.register, result: 1 } });
    expect(h.directory.refusals.at(-1)).toMatchObject({ deviceId: PHONE, reason: 'registrationFailed', detail: 'no entity can be made for this terminal' });
    expect(result(await h.register('鲁'.repeat(17)))).toMatchObject({ value: { messageId: MSG.register, result: 2 } });
    expect(h.counts).toMatchObject({ registrationFailed: 1, malformedRegistration: 1 });
    expect(h.closed).toBeUndefined();
  });
});
