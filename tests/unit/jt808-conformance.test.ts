/**
 * Conformance: the 88 frames of Traccar's JT/T 808 decoder test (tests/fixtures/jt808, see
 * ATTRIBUTION.md) through the socket-level path — wire bytes → splitter → checked frame →
 * message body — against values decoded independently of this code.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeFrame, Jt808FrameSplitter } from '../../server/ingest/jt808/framing.ts';
import { decodeFrame, type FrameDecode } from '../../server/ingest/jt808/frame.ts';
import { decodeLocation } from '../../server/ingest/jt808/location.ts';
import { decodeAuth, decodeBatch, decodeRegistration } from '../../server/ingest/jt808/messages.ts';

interface Expected { lat: number; lon: number; speedKph: number; course: number; timeUtc: string }
interface Item extends Expected { fixValid: boolean; altitudeM: number; timeBcd: string; additional?: Record<string, number> }
interface Fixture {
  hex: string; wireHex: string; hexForm: 'logical' | 'wire'; messageId: string; phone: string; serial: number;
  protocolVersion2019: boolean; protocolVersionByte: number | null; checksumValid: boolean; bodyLengthValid: boolean; testOrdinal: number;
  expected: Expected | null;
  location?: { alarmFlags: string; statusFlags: string; accOn: boolean; fixValid: boolean; altitudeM: number; timeBcd: string; additional?: Record<string, number>; vendorFixedTail18?: string };
  batch?: { count: number; type: number; items: Item[] };
  register?: { model: string; plateColor?: number; plateGbk?: string; province: number; city: number };
  auth?: { ascii: string };
}

const frames = JSON.parse(readFileSync(new URL('../fixtures/jt808/frames.json', import.meta.url), 'utf8')) as Fixture[];
const GMT8 = 480;

/** Feeds the wire bytes to a fresh splitter, one byte per push so that every cut is exercised, and decodes what it yields. */
function throughSocketPath(wireHex: string): FrameDecode[] {
  const out: FrameDecode[] = [];
  const splitter = new Jt808FrameSplitter({ frame: (c) => out.push(decodeFrame(c)), error: (reason) => { throw new Error(reason); } });
  const wire = Buffer.from(wireHex, 'hex');
  for (let i = 0; i < wire.length; i++) splitter.push(wire.subarray(i, i + 1));
  return out;
}

function expectPosition(actual: { lat: number; lon: number; speedKph: number; course: number; ts: number }, e: Expected): void {
  expect(actual.lat).toBeCloseTo(e.lat, 6);
  expect(actual.lon).toBeCloseTo(e.lon, 6);
  expect(actual.speedKph).toBeCloseTo(e.speedKph, 1);
  expect(actual.course).toBe(e.course);
  expect(new Date(actual.ts).toISOString().replace('.000Z', 'Z')).toBe(e.timeUtc);
}

describe('JT/T 808 conformance over the 88 Traccar frames', () => {
  it('holds 88 frames', () => {
    expect(frames).toHaveLength(88);
  });

  it.each(frames.map((f) => [f.testOrdinal, f.messageId, f] as const))('frame %i (%s)', (_n, _id, f) => {
    // The wire form is the logical content escaped: ours must escape exactly as the fixture does.
    if (f.hexForm === 'logical') expect(escapeFrame(Buffer.from(f.hex.slice(2, -2), 'hex')).toString('hex')).toBe(f.wireHex.toLowerCase());
    else expect(f.hex.toLowerCase()).toBe(f.wireHex.toLowerCase());

    const decoded = throughSocketPath(f.wireHex);
    expect(decoded).toHaveLength(1);
    const d = decoded[0]!;
    if (!f.checksumValid) {
      expect(d).toMatchObject({ ok: false, reason: 'badChecksum' });
      return;
    }
    if (!d.ok) throw new Error(`${d.reason}: ${d.detail}`);
    const { header, body } = d.frame;
    expect(`0x${header.messageId.toString(16).padStart(4, '0')}`).toBe(f.messageId);
    expect(header.phone).toBe(f.phone.toLowerCase());
    expect(header.serial).toBe(f.serial);
    expect(header.version2019).toBe(f.protocolVersion2019);
    if (f.protocolVersion2019) expect(header.protocolVersion).toBe(f.protocolVersionByte);

    if (f.messageId === '0x0200') {
      const r = decodeLocation(body, GMT8);
      if (!r.ok) throw new Error(r.detail);
      const l = r.location;
      expectPosition(l, f.expected!);
      const loc = f.location!;
      expect(l.alarm).toBe(Number(loc.alarmFlags));
      expect(l.status).toBe(Number(loc.statusFlags));
      expect(l.altitudeM).toBe(loc.altitudeM);
      expect(l.timeBcd).toBe(loc.timeBcd);
      for (const [k, v] of Object.entries(loc.additional ?? {})) expect(l.extras[k as keyof typeof l.extras]).toBeCloseTo(v, 1);
    } else if (f.messageId === '0x0704') {
      const r = decodeBatch(body, GMT8);
      if (!r.ok) throw new Error(r.detail);
      expect(r.value.type).toBe(f.batch!.type);
      expect(r.value.problems).toEqual([]);
      expect(r.value.items).toHaveLength(f.batch!.count);
      r.value.items.forEach((item, i) => {
        const e = f.batch!.items[i]!;
        expectPosition(item, e);
        expect(item.altitudeM).toBe(e.altitudeM);
        for (const [k, v] of Object.entries(e.additional ?? {})) expect(item.extras[k as keyof typeof item.extras]).toBeCloseTo(v, 1);
      });
      expectPosition(r.value.items[0]!, f.expected!);
    } else if (f.messageId === '0x0100') {
      const r = decodeRegistration(body, header.version2019);
      if (!r.ok) throw new Error(r.detail);
      const reg = f.register!;
      expect(r.value.model).toBe(reg.model.trim());
      expect(r.value.province).toBe(reg.province);
      expect(r.value.city).toBe(reg.city);
      if (reg.plateColor !== undefined) expect(r.value.plateColor).toBe(reg.plateColor);
      if (reg.plateGbk !== undefined) expect(r.value.plate).toBe(reg.plateGbk);
    } else if (f.messageId === '0x0102') {
      const r = decodeAuth(body, header.version2019);
      if (!r.ok) throw new Error(r.detail);
      expect(r.value.authCode).toBe(f.auth!.ascii);
    } else {
      expect(f.messageId).toBe('0x0002');
      expect(body).toHaveLength(0);
    }
  });

  it('decodes 85 and refuses exactly the 3 frames with a bad checksum', () => {
    const results = frames.map((f) => throughSocketPath(f.wireHex)[0]!);
    expect(results.filter((r) => r.ok)).toHaveLength(85);
    expect(frames.filter((_, i) => !results[i]!.ok).map((f) => f.testOrdinal)).toEqual([68, 86, 87]);
  });

  it('keeps the position of a frame whose additional items are a vendor tail, and says why the tail was not read', () => {
    const f = frames.find((x) => x.testOrdinal === 50)!;
    const d = throughSocketPath(f.wireHex)[0]!;
    if (!d.ok) throw new Error(d.reason);
    const r = decodeLocation(d.frame.body, GMT8);
    if (!r.ok) throw new Error(r.detail);
    expectPosition(r.location, f.expected!);
    expect(r.location.tlvProblem).toMatch(/declares/);
  });
});
