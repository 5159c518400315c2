/**
 * Case photos on disk: DATA_DIR/photos/<caseId>/<uuid>.<ext>. The type is decided by the
 * file's magic bytes, never by what the client declared; a file is written to a temp name,
 * fsynced and renamed (and the directory fsynced) before its row is committed, so a row
 * never points at a half-written file.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HttpError } from '../http-error.ts';
import { stripPhotoMetadata } from './photo-privacy.ts';

export const PHOTO_TYPES = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const;
export type PhotoType = keyof typeof PHOTO_TYPES;

/** The image type by its signature, or null when it is none of JPEG, PNG, WebP. */
export function sniffImageType(buf: Buffer): PhotoType | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** Refuses a body whose bytes are not the image type it was declared as. */
export function checkPhoto(buf: Buffer, declared: string): PhotoType {
  if (buf.length === 0) throw new HttpError(400, 'bad_request', 'the photo is empty: send the image bytes as the request body');
  const actual = sniffImageType(buf);
  if (actual === null) throw new HttpError(415, 'unsupported_media_type', `the body is not a JPEG, PNG or WebP image (declared ${declared})`);
  if (actual !== declared) throw new HttpError(415, 'unsupported_media_type', `the body is a ${actual} image but was declared as ${declared}`);
  return actual;
}

export class PhotoFiles {
  constructor(readonly root: string) {}

  path(caseId: number, file: string): string {
    return join(this.root, String(caseId), file);
  }

  /**
   * Writes the image durably, without the metadata that says where and by whom it was taken
   * (photo-privacy.ts), and returns its id, file name and stored size.
   */
  save(caseId: number, raw: Buffer, type: PhotoType): { id: string; file: string; bytes: number } {
    const buf = stripPhotoMetadata(raw, type);
    const id = randomUUID();
    const file = `${id}.${PHOTO_TYPES[type]}`;
    const dir = join(this.root, String(caseId));
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `.${file}.tmp`);
    const fd = openSync(tmp, 'w', 0o640);
    try {
      writeSync(fd, buf);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, file));
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
    return { id, file, bytes: buf.length };
  }

  /** Removes a file whose row could not be committed. */
  discard(caseId: number, file: string): void {
    try { unlinkSync(this.path(caseId, file)); } catch { /* already gone */ }
  }
}
