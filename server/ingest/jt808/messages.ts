/**
 * JT/T 808 message bodies the gateway reads and writes. Terminal → platform: 0x0001 general
 * response, 0x0002 heartbeat, 0x0100 registration, 0x0102 authentication, 0x0200 location,
 * 0x0201 position-query answer, 0x0704 batch. Platform → terminal: 0x8001 general response,
 * 0x8100 registration answer, 0x8201 position query, 0x8300 text message.
 */
import { decodeGbk, encodeGbk } from './gbk.ts';
import { decodeLocation, type Jt808Location } from './location.ts';

export const MSG = {
  terminalResponse: 0x0001,
  heartbeat: 0x0002,
  register: 0x0100,
  authenticate: 0x0102,
  location: 0x0200,
  positionAnswer: 0x0201,
  batch: 0x0704,
  platformResponse: 0x8001,
  registerAnswer: 0x8100,
  positionQuery: 0x8201,
  text: 0x8300,
} as const;

/** 0x8001 / 0x0001 result (结果). */
export const RESULT = { ok: 0, failed: 1, wrongMessage: 2, unsupported: 3, alarmAck: 4 } as const;

/** 0x8100 result: 0 ok, 1 vehicle registered, 2 no such vehicle, 3 terminal registered, 4 no such terminal. */
export const REGISTER_RESULT = { ok: 0, vehicleTaken: 1, noVehicle: 2, terminalTaken: 3, noTerminal: 4 } as const;

export type BodyDecode<T> = { ok: true; value: T } | { ok: false; detail: string };

export interface Jt808Registration {
  province: number;
  city: number;
  manufacturer: string;
  model: string;
  terminalId: string;
  plateColor: number;
  /** GBK-decoded plate (车牌); empty when the terminal has none (plate colour 0 = VIN). */
  plate: string;
  layout: '2011' | '2013' | '2019';
}

/** Field widths per edition; the header says 2019, otherwise the body length tells 2011 from 2013. */
const REGISTER_LAYOUTS = {
  '2011': { manufacturer: 5, model: 8, terminalId: 7 },
  '2013': { manufacturer: 5, model: 20, terminalId: 7 },
  '2019': { manufacturer: 11, model: 30, terminalId: 30 },
} as const;

export function decodeRegistration(body: Buffer, version2019: boolean): BodyDecode<Jt808Registration> {
  const layout: Jt808Registration['layout'] = version2019 ? '2019' : body.length >= 37 ? '2013' : '2011';
  const w = REGISTER_LAYOUTS[layout];
  const fixed = 4 + w.manufacturer + w.model + w.terminalId + 1;
  if (body.length < fixed) return { ok: false, detail: `registration body of ${body.length} bytes is shorter than the ${layout} layout's ${fixed}` };
  let o = 4;
  const text = (n: number) => {
    const s = asciiField(body.subarray(o, o + n));
    o += n;
    return s;
  };
  const manufacturer = text(w.manufacturer);
  const model = text(w.model);
  const terminalId = text(w.terminalId);
  const plateColor = body[o++]!;
  const plateBytes = body.subarray(o);
  const nul = plateBytes.indexOf(0);
  const plate = decodeGbk(nul < 0 ? plateBytes : plateBytes.subarray(0, nul)).trim();
  return { ok: true, value: { province: body.readUInt16BE(0), city: body.readUInt16BE(2), manufacturer, model, terminalId, plateColor, plate, layout } };
}

/** A fixed-width ASCII field: up to the first NUL, printable characters only. */
function asciiField(b: Buffer): string {
  const nul = b.indexOf(0);
  const s = b.toString('latin1', 0, nul < 0 ? b.length : nul);
  return /^[\x20-\x7e]*$/.test(s) ? s.trim() : '';
}

export interface Jt808Auth {
  authCode: string;
  imei?: string;
  softwareVersion?: string;
}

/** 0x0102: the whole body is the code (2011/2013); 2019 prefixes its length and appends IMEI and software version. */
export function decodeAuth(body: Buffer, version2019: boolean): BodyDecode<Jt808Auth> {
  if (!version2019) {
    if (body.length === 0) return { ok: false, detail: 'empty authentication code' };
    return { ok: true, value: { authCode: body.toString('latin1') } };
  }
  const n = body[0];
  if (n === undefined || n === 0 || body.length < 1 + n) return { ok: false, detail: 'authentication code length missing or beyond the body' };
  const rest = body.subarray(1 + n);
  return {
    ok: true,
    value: {
      authCode: body.toString('latin1', 1, 1 + n),
      ...(rest.length >= 15 ? { imei: asciiField(rest.subarray(0, 15)) } : {}),
      ...(rest.length > 15 ? { softwareVersion: asciiField(rest.subarray(15, 35)) } : {}),
    },
  };
}

export interface Jt808Batch {
  /** 0 normal batch, 1 blind-area backfill (盲区补报). */
  type: number;
  items: Jt808Location[];
  /** Items that could not be read (the rest of the batch is kept). */
  problems: string[];
}

/** 0x0704: count u16, type u8, then per item a u16 length and a location body. */
export function decodeBatch(body: Buffer, tzOffsetMin: number, maxItems = 256): BodyDecode<Jt808Batch> {
  if (body.length < 3) return { ok: false, detail: 'batch shorter than its count and type' };
  const count = body.readUInt16BE(0);
  if (count > maxItems) return { ok: false, detail: `batch of ${count} items exceeds ${maxItems}` };
  const batch: Jt808Batch = { type: body[2]!, items: [], problems: [] };
  let o = 3;
  for (let i = 0; i < count; i++) {
    if (o + 2 > body.length) {
      batch.problems.push(`item ${i}: missing (batch declares ${count})`);
      break;
    }
    const len = body.readUInt16BE(o);
    o += 2;
    if (o + len > body.length) {
      batch.problems.push(`item ${i}: declares ${len} bytes, ${body.length - o} left`);
      break;
    }
    const d = decodeLocation(body, tzOffsetMin, o, o + len);
    if (d.ok) batch.items.push(d.location);
    else batch.problems.push(`item ${i}: ${d.detail}`);
    o += len;
  }
  return { ok: true, value: batch };
}

export interface Jt808GeneralResponse {
  /** Serial of the message answered. */
  serial: number;
  messageId: number;
  result: number;
}

export function decodeGeneralResponse(body: Buffer): BodyDecode<Jt808GeneralResponse> {
  if (body.length < 5) return { ok: false, detail: `general response of ${body.length} bytes, needs 5` };
  return { ok: true, value: { serial: body.readUInt16BE(0), messageId: body.readUInt16BE(2), result: body[4]! } };
}

/** 0x0201: the query's serial, then a location body. */
export function decodePositionAnswer(body: Buffer, tzOffsetMin: number): BodyDecode<{ serial: number; location: Jt808Location }> {
  if (body.length < 2) return { ok: false, detail: 'position answer without serial' };
  const d = decodeLocation(body, tzOffsetMin, 2);
  return d.ok ? { ok: true, value: { serial: body.readUInt16BE(0), location: d.location } } : { ok: false, detail: d.detail };
}

export function encodeGeneralResponse(r: Jt808GeneralResponse): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt16BE(r.serial & 0xffff, 0);
  b.writeUInt16BE(r.messageId, 2);
  b[4] = r.result;
  return b;
}

export function encodeRegisterAnswer(serial: number, result: number, authCode?: string): Buffer {
  const code = result === REGISTER_RESULT.ok && authCode !== undefined ? Buffer.from(authCode, 'latin1') : Buffer.alloc(0);
  const b = Buffer.alloc(3 + code.length);
  b.writeUInt16BE(serial & 0xffff, 0);
  b[2] = result;
  code.copy(b, 3);
  return b;
}

/** 0x8300 text flags: bit 0 emergency, bit 2 show on the terminal's display, bit 3 read aloud (TTS). */
export const TEXT_FLAGS = { emergency: 1 << 0, display: 1 << 2, tts: 1 << 3 } as const;

/** 0x8300 (2011/2013): a flag byte, then the GBK text. */
export function encodeText(text: string, flags: number = TEXT_FLAGS.display | TEXT_FLAGS.tts): Buffer {
  const t = encodeGbk(text);
  return Buffer.concat([Buffer.from([flags]), t]);
}

export function decodeText(body: Buffer): BodyDecode<{ flags: number; text: string }> {
  if (body.length < 1) return { ok: false, detail: 'text message without flags' };
  return { ok: true, value: { flags: body[0]!, text: decodeGbk(body.subarray(1)) } };
}

/** Terminal side (the emulator): 0x0100 in the 2013 layout. */
export function encodeRegistration(r: { province?: number; city?: number; manufacturer: string; model: string; terminalId: string; plateColor: number; plate: string }): Buffer {
  const b = Buffer.alloc(4 + 5 + 20 + 7 + 1);
  b.writeUInt16BE(r.province ?? 0, 0);
  b.writeUInt16BE(r.city ?? 0, 2);
  b.write(r.manufacturer.slice(0, 5), 4, 'latin1');
  b.write(r.model.slice(0, 20), 9, 'latin1');
  b.write(r.terminalId.slice(0, 7), 29, 'latin1');
  b[36] = r.plateColor;
  return Buffer.concat([b, encodeGbk(r.plate)]);
}

/** Terminal side: 0x0704 from location bodies. */
export function encodeBatch(type: number, items: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([items.length >> 8, items.length & 0xff, type])];
  for (const it of items) parts.push(Buffer.from([it.length >> 8, it.length & 0xff]), it);
  return Buffer.concat(parts);
}
