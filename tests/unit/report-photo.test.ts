import { describe, expect, it } from 'vitest';
import { fitWithin, looksLikeImage, PHOTO_MAX_SIDE } from '../../client/report/photo.ts';

describe('fitWithin: the photo is drawn at ≤ 1600 px on its long side', () => {
  it('scales a 12 MP landscape photo (4032×3024) to 1600×1200', () => {
    expect(fitWithin(4032, 3024)).toEqual({ width: 1600, height: 1200 });
  });
  it('scales a portrait photo on its height', () => {
    // 3024×4032 → factor 1600/4032 → 1200×1600
    expect(fitWithin(3024, 4032)).toEqual({ width: 1200, height: 1600 });
  });
  it('rounds an odd ratio to whole pixels', () => {
    // 4000×2250 (16:9) → 1600×900; 5000×1234 → 1600 × 394.88 → 395
    expect(fitWithin(4000, 2250)).toEqual({ width: 1600, height: 900 });
    expect(fitWithin(5000, 1234)).toEqual({ width: 1600, height: 395 });
  });
  it('never enlarges a small photo, and keeps a photo exactly at the limit', () => {
    expect(fitWithin(640, 480)).toEqual({ width: 640, height: 480 });
    expect(fitWithin(PHOTO_MAX_SIDE, 900)).toEqual({ width: 1600, height: 900 });
  });
  it('keeps a very thin panorama at least 1 px high', () => {
    expect(fitWithin(20000, 3)).toEqual({ width: 1600, height: 1 });
  });
  it('refuses a size that is not an image', () => {
    expect(() => fitWithin(0, 100)).toThrow(RangeError);
    expect(() => fitWithin(Number.NaN, 100)).toThrow(RangeError);
  });
});

describe('looksLikeImage: a non-image picked from the Files tab is refused before decoding', () => {
  it('accepts image types and refuses others', () => {
    expect(looksLikeImage({ type: 'image/jpeg', name: 'IMG_1.jpg' })).toBe(true);
    expect(looksLikeImage({ type: 'image/heic', name: 'IMG_2.HEIC' })).toBe(true);
    expect(looksLikeImage({ type: 'application/pdf', name: 'scan.jpg' })).toBe(false);
    expect(looksLikeImage({ type: 'text/plain', name: 'notes.txt' })).toBe(false);
  });
  it('falls back on the file name when the picker gives no type', () => {
    expect(looksLikeImage({ type: '', name: 'photo.JPEG' })).toBe(true);
    expect(looksLikeImage({ type: '', name: 'report.docx' })).toBe(false);
  });
});
