/**
 * JT/T 808 codec edge cases beyond the conformance frames: escaping at the edges, frames
 * split anywhere, oversized and broken frames, 2019 headers, subpackages and their limits,
 * TLV items that do not parse. Expected bytes are written out by hand from the standard.
 */
import { describe, expect, it } from 'vitest';
import { escapeFrame, Jt808FrameSplitter, xorChecksum } from '../../server/ingest/jt808/framing.ts';
import { decodeFrame, encodeFrame, type Jt808Frame } from '../../server/ingest/jt808/frame.ts';
import { bcdTime, decodeLocation, encodeLocation } from '../../server/ingest/jt808/location.ts';
import { decodeAuth, decodeBatch, decodeRegistration, encodeBatch, encodeText, decodeText } from '../../server/ingest/jt808/messages.ts';
import { SubpackageAssembler } from '../../server/ingest/jt808/subpackage.ts';
import { parseSignalSource } from '../../server/ingest/jt808/report.ts';

function split(wire: Buffer, cut: (i: number) => boolean = () => false) {
  const frames: string[] = [];
  const errors: string[] = [];
  const s = new Jt808FrameSplitter({ frame: (c) => frames.push(Buffer.from(c).toString('hex')), error: (r) => errors.push(r) }, 64);
  let start = 0;
  for (let i = 1; i <= wire.length; i++) {
    if (i === wire.length || cut(i)) {
      s.push(wire.subarray(start, i));
      start = i;
    }
  }
  return { frames, errors, pending: s.pending };
}

describe('framing', () => {
  it('escapes 7e and 7d, including as the first and the checksum byte', () => {
    expect(escapeFrame(Buffer.from([0x7e, 0x01, 0x7d])).toString('hex')).toBe('7e7d02017d017e');
    expect(escapeFrame(Buffer.from([0x30, 0x7e, 0x08, 0x7d, 0x55])).toString('hex')).toBe('7e307d02087d01557e');
  });

  it('unescapes a frame whatever the chunk boundaries, one byte at a time or all at once', () => {
    const wire = Buffer.from('7e307d02087d01557e7e0102037e', 'hex');
    for (const cut of [() => false, () => true, (i: number) => i % 3 === 0]) {
      const r = split(wire, cut);
      expect(r.frames).toEqual(['307e087d55', '010203']);
      expect(r.errors).toEqual([]);
    }
  });

  it('treats 7e7e as a boundary and ignores bytes before the first flag', () => {
    expect(split(Buffer.from('aabb7e7e01027e7e7e03047e', 'hex')).frames).toEqual(['0102', '0304']);
  });

  it('refuses an unknown escape and a frame over the limit, and recovers at the next flag', () => {
    const r = split(Buffer.concat([Buffer.from('7e017d0302037e', 'hex'), Buffer.from([0x7e, ...new Array(70).fill(0x11), 0x7e]), Buffer.from('7e05067e', 'hex')]));
    expect(r.errors).toEqual(['badEscape', 'frameTooLong']);
    expect(r.frames).toEqual(['0506']);
  });

  it('holds no more than one frame limit for a peer that never closes its frame', () => {
    const r = split(Buffer.from([0x7e, ...new Array(500).fill(0x22)]));
    expect(r.pending).toBe(0);
    expect(r.errors).toEqual(['frameTooLong']);
  });
});

describe('frame header', () => {
  it('round-trips a 2019 header with its version byte and 20-digit phone', () => {
    const wire = encodeFrame({ messageId: 0x8300, phone: '00000866496077582164', serial: 7, version2019: true, protocolVersion: 1 }, Buffer.from([1, 2, 3]));
    const content = wire.subarray(1, -1);
    // 83 00 | 40 03 (2019 bit + length 3) | 01 | 10-byte BCD phone | 00 07 | body | checksum
    expect(content.subarray(0, 5).toString('hex')).toBe('8300400301');
    expect(content.subarray(5, 15).toString('hex')).toBe('00000866496077582164');
    const d = decodeFrame(content);
    expect(d).toMatchObject({ ok: true, frame: { header: { messageId: 0x8300, version2019: true, protocolVersion: 1, phone: '00000866496077582164', serial: 7, bodyLength: 3 } } });
  });

  it('refuses a bad checksum with the phone it could read, a declared length that does not match, and encryption', () => {
    const good = Buffer.from(encodeFrame({ messageId: 0x0002, phone: '013912345678', serial: 1 }, Buffer.alloc(0)).subarray(1, -1));
    expect(decodeFrame(good).ok).toBe(true);
    const bad = Buffer.from(good);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    expect(decodeFrame(bad)).toMatchObject({ ok: false, reason: 'badChecksum', phone: '013912345678' });
    const lying = Buffer.from(good);
    lying[3] = 5;
    lying[lying.length - 1] = xorChecksum(lying, 0, lying.length - 1);
    expect(decodeFrame(lying)).toMatchObject({ ok: false, reason: 'bodyLength' });
    const rsa = Buffer.from(good);
    rsa[2] = 0x04;
    rsa[rsa.length - 1] = xorChecksum(rsa, 0, rsa.length - 1);
    expect(decodeFrame(rsa)).toMatchObject({ ok: false, reason: 'encrypted' });
    expect(decodeFrame(Buffer.from([1, 2, 3]))).toMatchObject({ ok: false, reason: 'truncated' });
  });
});

function subFrame(messageId: number, serial: number, total: number, index: number, body: number[]): Jt808Frame {
  return { header: { messageId, bodyLength: body.length, encryption: 0, version2019: false, phone: '013900000001', serial, subpackage: { total, index } }, body: Buffer.from(body) };
}

describe('subpackages', () => {
  it('reassembles packages in any order, keyed by the first serial', () => {
    const a = new SubpackageAssembler();
    expect(a.add(subFrame(0x0704, 11, 3, 2, [3, 4]), 0).kind).toBe('pending');
    expect(a.add(subFrame(0x0704, 12, 3, 3, [5]), 0).kind).toBe('pending');
    expect(a.add(subFrame(0x0704, 12, 3, 3, [5]), 0).kind).toBe('pending');
    const r = a.add(subFrame(0x0704, 10, 3, 1, [1, 2]), 0);
    expect(r.kind).toBe('complete');
    if (r.kind === 'complete') {
      expect([...r.frame.body]).toEqual([1, 2, 3, 4, 5]);
      expect(r.frame.header.subpackage).toBeUndefined();
      expect(r.frame.header.serial).toBe(10);
    }
    expect(a.openCount).toBe(0);
  });

  it('refuses bad indexes, too many packages, too many bytes, too many open, and expires the unfinished', () => {
    const a = new SubpackageAssembler({ maxPackages: 4, maxBytes: 3, maxOpen: 1, timeoutMs: 1000 });
    expect(a.add(subFrame(1, 1, 2, 0, [1]), 0)).toMatchObject({ kind: 'refused', reason: 'subpackageBadIndex' });
    expect(a.add(subFrame(1, 1, 2, 3, [1]), 0)).toMatchObject({ kind: 'refused', reason: 'subpackageBadIndex' });
    expect(a.add(subFrame(1, 1, 5, 1, [1]), 0)).toMatchObject({ kind: 'refused', reason: 'subpackageTooMany' });
    expect(a.add(subFrame(1, 1, 2, 1, [1, 2]), 0).kind).toBe('pending');
    expect(a.add(subFrame(2, 1, 2, 1, [1]), 0)).toMatchObject({ kind: 'refused', reason: 'subpackageTooManyOpen' });
    expect(a.add(subFrame(1, 2, 2, 2, [3, 4]), 0)).toMatchObject({ kind: 'refused', reason: 'subpackageTooLarge' });
    expect(a.openCount).toBe(0);
    a.add(subFrame(1, 5, 2, 1, [1]), 0);
    expect(a.expire(1000)).toBe(0);
    expect(a.expire(1001)).toBe(1);
  });
});

describe('location and its additional items', () => {
  const T = Date.UTC(2026, 11, 7, 2, 30, 15);

  it('encodes as the standard lays out and decodes back, hemisphere in the status bits', () => {
    const b = encodeLocation({ lat: -33.5, lon: -70.25, speedKph: 42.3, course: 271, altitudeM: -5, ts: T, status: 0b11, alarm: 1 });
    expect(b.toString('hex')).toBe(
      '00000001' + '0000000f' + (33_500_000).toString(16).padStart(8, '0') + (70_250_000).toString(16).padStart(8, '0') + 'fffb' + '01a7' + '010f' + '261207103015',
    );
    const d = decodeLocation(b, 480);
    expect(d).toMatchObject({ ok: true, location: { lat: -33.5, lon: -70.25, speedKph: 42.3, course: 271, altitudeM: -5, ts: T, alarm: 1 } });
  });

  it('keeps the items before a malformed one and says which; a known id with the wrong length stays raw', () => {
    const base = encodeLocation({ lat: 36.6, lon: 117, ts: T });
    const tail = Buffer.from('0104000003e8' + '30020019' + '31010c' + 'e10a0102', 'hex');
    const d = decodeLocation(Buffer.concat([base, tail]), 480);
    if (!d.ok) throw new Error(d.detail);
    expect(d.location.extras).toEqual({ mileageKm: 100, satellites: 12 });
    expect(d.location.tlv.get(0x30)?.toString('hex')).toBe('0019');
    expect(d.location.tlvProblem).toBe('item 0xe1 declares 10 bytes, 2 left');
    const stray = decodeLocation(Buffer.concat([base, Buffer.from([0x01])]), 480);
    expect(stray.ok && stray.location.tlvProblem).toBe('1 stray byte after the additional items');
  });

  it('refuses a location that is short or whose time is no date', () => {
    expect(decodeLocation(Buffer.alloc(27), 480).ok).toBe(false);
    const b = encodeLocation({ lat: 36.6, lon: 117, ts: T });
    b.write('261332103015', 22, 'hex');
    expect(decodeLocation(b, 480)).toMatchObject({ ok: false, detail: 'time 261332103015 is not a BCD date' });
    expect(bcdTime('260230000000', 0)).toBeUndefined();
    expect(bcdTime('2602a0000000', 0)).toBeUndefined();
    expect(bcdTime('260228000000', 0)).toBe(Date.UTC(2026, 1, 28));
  });

  it('reads a batch item by item and keeps the good ones when one is cut short', () => {
    const a = encodeLocation({ lat: 36.6, lon: 117, ts: T });
    const b = encodeLocation({ lat: 36.7, lon: 117.1, ts: T + 1000 });
    const full = encodeBatch(1, [a, b]);
    const d = decodeBatch(full.subarray(0, full.length - 3), 480);
    if (!d.ok) throw new Error(d.detail);
    expect(d.value.type).toBe(1);
    expect(d.value.items.map((l) => l.lat)).toEqual([36.6]);
    expect(d.value.problems).toEqual(['item 1: declares 28 bytes, 25 left']);
    expect(decodeBatch(Buffer.from([0x10, 0x00, 0]), 480, 256)).toMatchObject({ ok: false, detail: 'batch of 4096 items exceeds 256' });
  });
});

describe('registration and text', () => {
  it('reads a 2013 registration with a GBK plate', () => {
    // province 37 (Shandong), city 0x0102; manufacturer, model, terminal id; colour 2; 鲁A·12345 in GBK
    const body = Buffer.concat([
      Buffer.from('00250102', 'hex'), Buffer.from('COPS\0', 'latin1'), Buffer.from('M1'.padEnd(20, '\0'), 'latin1'), Buffer.from('T000001', 'latin1'), Buffer.from([2]),
      Buffer.from('c2b341a1a43132333435', 'hex'),
    ]);
    expect(decodeRegistration(body, false)).toEqual({ ok: true, value: { province: 37, city: 0x0102, manufacturer: 'COPS', model: 'M1', terminalId: 'T000001', plateColor: 2, plate: '鲁A·12345', layout: '2013' } });
    expect(decodeRegistration(body.subarray(0, 20), false).ok).toBe(false);
  });

  it('reads a 2019 authentication: code length, code, IMEI, software version', () => {
    const body = Buffer.concat([Buffer.from([6]), Buffer.from('abc123', 'latin1'), Buffer.from('868935060005020', 'latin1'), Buffer.from('V1.2.3'.padEnd(20, '\0'), 'latin1')]);
    expect(decodeAuth(body, true)).toEqual({ ok: true, value: { authCode: 'abc123', imei: '868935060005020', softwareVersion: 'V1.2.3' } });
    expect(decodeAuth(Buffer.from([9, 0x61]), true).ok).toBe(false);
    expect(decodeAuth(Buffer.alloc(0), false).ok).toBe(false);
    // 2011/2013: the whole body is the code.
    expect(decodeAuth(Buffer.from('2011110811332196', 'latin1'), false)).toEqual({ ok: true, value: { authCode: '2011110811332196' } });
  });

  it('encodes a text message as flags then GBK', () => {
    expect(encodeText('到解放路', 0x0c).toString('hex')).toBe('0cb5bdbde2b7c5c2b7');
    expect(decodeText(encodeText('清运 OK'))).toEqual({ ok: true, value: { flags: 0x0c, text: '清运 OK' } });
  });
});

describe('muck truck signal configuration', () => {
  it('parses the forms it documents and refuses the rest', () => {
    expect(parseSignalSource('standard', true)).toEqual({ from: 'standardLoad' });
    expect(parseSignalSource('standard', false)).toBeUndefined();
    expect(parseSignalSource('!bit:12', false)).toEqual({ from: 'bit', bit: 12, invert: true });
    expect(parseSignalSource('tlv:0xE5', false)).toEqual({ from: 'tlv', id: 0xe5, invert: false });
    expect(parseSignalSource('bit:32', false)).toBeUndefined();
    expect(parseSignalSource('tlv:256', false)).toBeUndefined();
    expect(parseSignalSource('on', false)).toBeUndefined();
  });
});
