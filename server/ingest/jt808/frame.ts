/**
 * JT/T 808 message header (消息头) and the checked frame: 2011/2013 headers (6-byte BCD
 * phone) and 2019 headers (bit 14 of the body properties: a protocol-version byte and a
 * 10-byte BCD phone), with the optional subpackage fields (bit 13).
 */
import { escapeFrame, xorChecksum } from './framing.ts';

export interface Jt808Header {
  messageId: number;
  /** Declared body length (low 10 bits of the body properties). */
  bodyLength: number;
  /** Encryption bits 10–12; 0 = none (the only one we accept). */
  encryption: number;
  version2019: boolean;
  /** The 2019 header's protocol-version byte. */
  protocolVersion?: number;
  /**
   * The terminal's phone number (终端手机号) as the hex digits of its bytes: BCD digits for a
   * conforming terminal; some devices put non-BCD bytes here, which then read as hex.
   */
  phone: string;
  serial: number;
  /** Present when the message is one package of a longer one (分包). index is 1-based. */
  subpackage?: { total: number; index: number };
}

export interface Jt808Frame {
  header: Jt808Header;
  body: Buffer;
}

export type FrameRefusal = 'badChecksum' | 'truncated' | 'bodyLength' | 'encrypted';
export type FrameDecode = { ok: true; frame: Jt808Frame } | { ok: false; reason: FrameRefusal; detail: string; phone?: string };

const PROPS_SUBPACKAGE = 1 << 13;
const PROPS_2019 = 1 << 14;

/**
 * Decodes unescaped frame content (what the splitter gives: header, body, checksum). The
 * body is copied, because the splitter reuses its buffer.
 */
export function decodeFrame(content: Uint8Array): FrameDecode {
  if (content.length < 13) return { ok: false, reason: 'truncated', detail: `frame of ${content.length} bytes is shorter than a header` };
  const last = content.length - 1;
  const sum = xorChecksum(content, 0, last);
  const props = (content[2]! << 8) | content[3]!;
  const version2019 = (props & PROPS_2019) !== 0;
  const phoneLen = version2019 ? 10 : 6;
  const phoneAt = version2019 ? 5 : 4;
  const serialAt = phoneAt + phoneLen;
  const hasSub = (props & PROPS_SUBPACKAGE) !== 0;
  const headerLen = serialAt + 2 + (hasSub ? 4 : 0);
  const phone = content.length >= serialAt ? hexDigits(content, phoneAt, serialAt) : undefined;
  if (sum !== content[last]) {
    return { ok: false, reason: 'badChecksum', detail: `checksum 0x${hex2(content[last]!)} but the bytes XOR to 0x${hex2(sum)}`, ...(phone ? { phone } : {}) };
  }
  if (content.length < headerLen + 1) return { ok: false, reason: 'truncated', detail: `header needs ${headerLen} bytes, frame has ${last}`, ...(phone ? { phone } : {}) };
  const bodyLength = props & 0x3ff;
  const actual = last - headerLen;
  if (actual !== bodyLength) {
    return { ok: false, reason: 'bodyLength', detail: `body properties declare ${bodyLength} bytes, frame carries ${actual}`, phone: phone! };
  }
  const encryption = (props >> 10) & 0x7;
  if (encryption !== 0) return { ok: false, reason: 'encrypted', detail: `encryption 0b${encryption.toString(2)} is not supported`, phone: phone! };
  const header: Jt808Header = {
    messageId: (content[0]! << 8) | content[1]!,
    bodyLength,
    encryption,
    version2019,
    phone: phone!,
    serial: (content[serialAt]! << 8) | content[serialAt + 1]!,
  };
  if (version2019) header.protocolVersion = content[4]!;
  if (hasSub) {
    header.subpackage = { total: (content[serialAt + 2]! << 8) | content[serialAt + 3]!, index: (content[serialAt + 4]! << 8) | content[serialAt + 5]! };
  }
  return { ok: true, frame: { header, body: Buffer.from(content.subarray(headerLen, last)) } };
}

/** What the platform puts in the header of a message it sends to a terminal. */
export interface OutgoingHeader {
  messageId: number;
  phone: string;
  serial: number;
  /** Answer a 2019 terminal with a 2019 header (and its protocol version). */
  version2019?: boolean;
  protocolVersion?: number;
}

/** A complete wire frame: header, body, checksum, escaped and flagged. */
export function encodeFrame(h: OutgoingHeader, body: Uint8Array): Buffer {
  if (body.length > 0x3ff) throw new RangeError(`JT/T 808 body of ${body.length} bytes needs subpackages`);
  const phoneLen = h.version2019 ? 10 : 6;
  const headerLen = (h.version2019 ? 5 : 4) + phoneLen + 2;
  const content = Buffer.alloc(headerLen + body.length + 1);
  content.writeUInt16BE(h.messageId, 0);
  content.writeUInt16BE(body.length | (h.version2019 ? PROPS_2019 : 0), 2);
  let o = 4;
  if (h.version2019) content[o++] = h.protocolVersion ?? 1;
  writePhone(content, o, phoneLen, h.phone);
  o += phoneLen;
  content.writeUInt16BE(h.serial & 0xffff, o);
  o += 2;
  content.set(body, o);
  content[content.length - 1] = xorChecksum(content, 0, content.length - 1);
  return escapeFrame(content);
}

function writePhone(out: Buffer, at: number, len: number, phone: string): void {
  const digits = phone.length > len * 2 ? phone.slice(-len * 2) : phone.padStart(len * 2, '0');
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new RangeError('phone must be hex digits');
  out.write(digits, at, len, 'hex');
}

function hexDigits(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('hex');
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
