/**
 * Photos lose where they were taken. The images and their EXIF are made by libraries we did
 * not write (jpeg-js, pngjs, piexifjs, Chromium's WebP encoder) and read back by others
 * (exifr, jpeg-js, pngjs), so the stripper cannot agree with itself.
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import exifr from 'exifr';
import jpeg from 'jpeg-js';
import piexif from 'piexifjs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { stripPhotoMetadata } from '../../server/cases/photo-privacy.ts';

const W = 32;
const H = 24;
function pixels(): Buffer {
  const data = Buffer.alloc(W * H * 4);
  for (let i = 0; i < W * H; i++) data.set([(i * 7) % 256, (i * 3) % 256, 128, 255], i * 4);
  return data;
}

/** EXIF as a phone writes it: GPS (泉城广场), camera, owner, and optionally an orientation. */
function phoneExif(orientation?: number): string {
  const zeroth: Record<number, unknown> = { [piexif.ImageIFD.Make]: 'PhoneCo', [piexif.ImageIFD.Artist]: '张三' };
  if (orientation) zeroth[piexif.ImageIFD.Orientation] = orientation;
  const gps = {
    [piexif.GPSIFD.GPSLatitudeRef]: 'N', [piexif.GPSIFD.GPSLatitude]: [[36, 1], [39, 1], [3000, 100]],
    [piexif.GPSIFD.GPSLongitudeRef]: 'E', [piexif.GPSIFD.GPSLongitude]: [[117, 1], [1, 1], [2000, 100]],
  };
  return piexif.dump({ '0th': zeroth, Exif: {}, GPS: gps });
}

function phoneJpeg(orientation?: number): Buffer {
  const plain = jpeg.encode({ data: pixels(), width: W, height: H }, 90).data;
  return Buffer.from(piexif.insert(phoneExif(orientation), plain.toString('binary')), 'binary');
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const decoded = (b: Buffer) => Buffer.from(jpeg.decode(b, { useTArray: true }).data);

describe('photo metadata stripping', () => {
  it('JPEG: GPS, camera and owner are gone, the orientation stays, the pixels are the same', async () => {
    const before = phoneJpeg(6);
    expect(await exifr.gps(before)).toMatchObject({ latitude: expect.closeTo(36.6583, 3), longitude: expect.closeTo(117.0222, 3) });
    const after = stripPhotoMetadata(before, 'image/jpeg');
    expect(await exifr.gps(after)).toBeUndefined();
    const tags = await exifr.parse(after, { translateValues: false });
    expect(tags).toEqual({ Orientation: 6 });
    expect(after.includes(Buffer.from('PhoneCo'))).toBe(false);
    expect(decoded(after).equals(decoded(before))).toBe(true);
  });

  it('JPEG without an orientation keeps no EXIF at all; comments and IPTC go too', async () => {
    const withExif = phoneJpeg();
    // a comment (COM) and an APP13 Photoshop/IPTC block after the EXIF
    const comment = Buffer.from('taken by 张三', 'utf8');
    const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
    const app13Payload = Buffer.from('Photoshop 3.0\0 secret iptc');
    const app13 = Buffer.concat([Buffer.from([0xff, 0xed, 0, app13Payload.length + 2]), app13Payload]);
    const before = Buffer.concat([withExif.subarray(0, 2), com, app13, withExif.subarray(2)]);
    const after = stripPhotoMetadata(before, 'image/jpeg');
    expect(await exifr.parse(after)).toBeUndefined();
    expect(after.includes(Buffer.from('张三', 'utf8'))).toBe(false);
    expect(after.includes(Buffer.from('secret iptc'))).toBe(false);
    expect(decoded(after).equals(decoded(before))).toBe(true);
  });

  it('PNG: eXIf and text chunks (XMP) are gone, the pixels are the same', async () => {
    const png = new PNG({ width: W, height: H });
    pixels().copy(png.data);
    const plain = PNG.sync.write(png);
    const tiff = Buffer.from(phoneExif().slice(6), 'binary'); // eXIf holds the TIFF without "Exif\0\0"
    const xmp = Buffer.concat([Buffer.from('XML:com.adobe.xmp\0\0\0\0\0', 'latin1'), Buffer.from('<x:xmpmeta><exif:GPSLatitude>36,39.5N</exif:GPSLatitude></x:xmpmeta>')]);
    const iend = plain.length - 12;
    const before = Buffer.concat([plain.subarray(0, 33), pngChunk('eXIf', tiff), pngChunk('iTXt', xmp), pngChunk('tEXt', Buffer.from('Author\0张三')), plain.subarray(33, iend), plain.subarray(iend)]);
    expect(await exifr.gps(before)).toMatchObject({ latitude: expect.closeTo(36.6583, 3) });
    const after = stripPhotoMetadata(before, 'image/png');
    expect(after.equals(plain)).toBe(true);
    expect(PNG.sync.read(after).data.equals(PNG.sync.read(before).data)).toBe(true);
  });

  it('WebP: the EXIF and XMP chunks are gone and their VP8X flags cleared', () => {
    const plain = readFileSync(new URL('../fixtures/photos/canvas-48x32.webp', import.meta.url)); // made by Chromium (VP8X + ICCP + VP8)
    expect(plain.toString('latin1', 12, 16)).toBe('VP8X');
    const exif = Buffer.from(phoneExif(), 'binary');
    const exifChunk = Buffer.concat([Buffer.from('EXIF', 'latin1'), Buffer.alloc(4), exif, Buffer.alloc(exif.length & 1)]);
    exifChunk.writeUInt32LE(exif.length, 4);
    const xmpBody = Buffer.from('<x:xmpmeta>GPS 36.65N</x:xmpmeta>');
    const xmpChunk = Buffer.concat([Buffer.from('XMP ', 'latin1'), Buffer.alloc(4), xmpBody, Buffer.alloc(xmpBody.length & 1)]);
    xmpChunk.writeUInt32LE(xmpBody.length, 4);
    const body = Buffer.concat([plain.subarray(12), exifChunk, xmpChunk]);
    const before = Buffer.concat([plain.subarray(0, 12), body]);
    before.writeUInt32LE(body.length + 4, 4);
    before[20] = before[20]! | 0x08 | 0x04; // VP8X flags: EXIF and XMP present
    const after = stripPhotoMetadata(before, 'image/webp');
    expect(after.equals(plain)).toBe(true);
  });

  it('refuses a file whose structure cannot be walked instead of storing it with its metadata', () => {
    const j = phoneJpeg(3);
    expect(() => stripPhotoMetadata(j.subarray(0, 40), 'image/jpeg')).toThrow(/not a well-formed JPEG/);
    expect(() => stripPhotoMetadata(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 99]), 'image/png')).toThrow(/not a well-formed PNG/);
    const w = Buffer.from(readFileSync(new URL('../fixtures/photos/canvas-48x32.webp', import.meta.url)));
    w.writeUInt32LE(w.length * 2, 4);
    expect(() => stripPhotoMetadata(w, 'image/webp')).toThrow(/not a well-formed WebP/);
  });
});
