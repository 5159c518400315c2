/**
 * Photos from citizens and crews carry where they were taken: a phone writes GPS, the device
 * model and often the owner's name into EXIF, XMP or text chunks. Before a photo is stored,
 * every such block is removed; only what the image needs to be shown right is kept.
 *
 * - JPEG: APP1 (EXIF, XMP), APP13 (IPTC/Photoshop), APP3–APP12/APP15 and comments are dropped;
 *   APP0 (JFIF), APP2 (ICC colour profile) and APP14 (Adobe colour transform) stay. The EXIF
 *   orientation is the one fact that changes how a phone photo looks, so it is written back
 *   as a minimal EXIF block holding that tag alone.
 * - PNG: eXIf and the text chunks (tEXt, zTXt, iTXt: XMP lives there) are dropped.
 * - WebP: the EXIF and XMP chunks are dropped and their flags cleared in VP8X.
 *
 * The result is a new buffer; the input is not changed. A file whose structure cannot be
 * walked is refused (400) rather than stored with its metadata.
 */
import { HttpError } from '../http-error.ts';
import type { PhotoType } from './photo-files.ts';

export function stripPhotoMetadata(buf: Buffer, type: PhotoType): Buffer {
  switch (type) {
    case 'image/jpeg': return stripJpeg(buf);
    case 'image/png': return stripPng(buf);
    case 'image/webp': return stripWebp(buf);
  }
}

const broken = (what: string) => new HttpError(400, 'bad_request', `the photo is not a well-formed ${what} file (${what} structure could not be read)`);

// ── JPEG ────────────────────────────────────────────────────────────────────────────────

const SOI = 0xd8;
const SOS = 0xda;
const EOI = 0xd9;
const APP0 = 0xe0;
const APP1 = 0xe1;
const APP2 = 0xe2;
const APP14 = 0xee;
const KEEP_APP = new Set([APP0, APP2, APP14]);

function stripJpeg(buf: Buffer): Buffer {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== SOI) throw broken('JPEG');
  const out: Buffer[] = [buf.subarray(0, 2)];
  let orientation: number | null = null;
  let pos = 2;
  let wroteOrientation = false;
  while (pos < buf.length) {
    if (buf[pos] !== 0xff) throw broken('JPEG');
    // Fill bytes (0xFF repeated) may precede a marker.
    let m = pos + 1;
    while (m < buf.length && buf[m] === 0xff) m++;
    if (m >= buf.length) throw broken('JPEG');
    const marker = buf[m]!;
    const segStart = m + 1;
    if (marker === EOI) {
      out.push(buf.subarray(pos, segStart));
      return Buffer.concat(out);
    }
    if (segStart + 2 > buf.length) throw broken('JPEG');
    const len = buf.readUInt16BE(segStart);
    const end = segStart + len;
    if (len < 2 || end > buf.length) throw broken('JPEG');
    const isApp = marker >= APP0 && marker <= 0xef;
    if (marker === APP1 && orientation === null) orientation = exifOrientation(buf.subarray(segStart + 2, end));
    const drop = (isApp && !KEEP_APP.has(marker)) || marker === 0xfe; // 0xFE: comment
    if (!drop) {
      // The orientation block goes right after JFIF (APP0) or, without one, first.
      if (!wroteOrientation && marker !== APP0 && orientation !== null) {
        out.push(orientationApp1(orientation));
        wroteOrientation = true;
      }
      out.push(buf.subarray(pos, end));
    }
    if (marker === SOS) {
      // From here on the entropy-coded data and the rest of the file are kept as they are.
      out.push(buf.subarray(end));
      return Buffer.concat(out);
    }
    pos = end;
  }
  throw broken('JPEG');
}

/** The EXIF orientation (1–8) in an APP1 payload, or null (not EXIF, no tag, 1 = upright, unreadable). */
function exifOrientation(app1: Buffer): number | null {
  if (app1.length < 14 || app1.toString('latin1', 0, 6) !== 'Exif\0\0') return null;
  const tiff = app1.subarray(6);
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const n = u16(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > tiff.length) return null;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 2 && v <= 8 ? v : null;
    }
  }
  return null;
}

/** A big-endian EXIF block with IFD0 holding only Orientation (SHORT, count 1). */
function orientationApp1(orientation: number): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, APP1, 0, 0]);
  head.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([head, payload]);
}

// ── PNG ─────────────────────────────────────────────────────────────────────────────────

const PNG_DROP = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt']);

function stripPng(buf: Buffer): Buffer {
  const out: Buffer[] = [buf.subarray(0, 8)];
  let pos = 8;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) throw broken('PNG');
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + len;
    if (end > buf.length) throw broken('PNG');
    if (!PNG_DROP.has(type)) out.push(buf.subarray(pos, end));
    pos = end;
    if (type === 'IEND') return Buffer.concat(out);
  }
  throw broken('PNG');
}

// ── WebP ────────────────────────────────────────────────────────────────────────────────

const VP8X_EXIF = 0x08;
const VP8X_XMP = 0x04;

function stripWebp(buf: Buffer): Buffer {
  if (buf.length < 12) throw broken('WebP');
  const riffEnd = 8 + buf.readUInt32LE(4);
  if (riffEnd > buf.length) throw broken('WebP');
  const chunks: Buffer[] = [];
  let pos = 12;
  while (pos < riffEnd) {
    if (pos + 8 > riffEnd) throw broken('WebP');
    const fourcc = buf.toString('latin1', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const end = pos + 8 + size + (size & 1); // chunks are padded to an even size
    if (end > riffEnd) throw broken('WebP');
    if (fourcc === 'VP8X') {
      const c = Buffer.from(buf.subarray(pos, end));
      c[8] = c[8]! & ~(VP8X_EXIF | VP8X_XMP);
      chunks.push(c);
    } else if (fourcc !== 'EXIF' && fourcc !== 'XMP ') {
      chunks.push(buf.subarray(pos, end));
    }
    pos = end;
  }
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, body]);
}
