/**
 * The citizen's photo, made small in the browser before it is sent: a phone camera's 12 MP JPEG
 * (4–8 MB) becomes ≤ 1600 px on the long side (~200–400 kB) — fast on a mobile uplink, under the
 * server's limit — and, being redrawn on a canvas, it loses its EXIF block (GPS position,
 * phone model) on the way.
 */

export const PHOTO_MAX_SIDE = 1600;
export const PHOTO_JPEG_QUALITY = 0.82;

/** The size an image of w×h is drawn at so that its long side is at most `maxSide`; never enlarged. */
export function fitWithin(width: number, height: number, maxSide = PHOTO_MAX_SIDE): { width: number; height: number } {
  if (!(width > 0) || !(height > 0)) throw new RangeError(`not an image size: ${width}×${height}`);
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Whether a picked file claims to be an image. The file picker's `accept` is only a hint (the
 * "Files" tab of a phone offers everything), so the page checks; decoding is the real test.
 */
export function looksLikeImage(file: { type: string; name: string }): boolean {
  if (file.type) return file.type.startsWith('image/');
  // Some Android pickers give no type: fall back on the name.
  return /\.(jpe?g|png|webp|heic|heif|gif|bmp|avif)$/i.test(file.name);
}

export class PhotoError extends Error {
  override name = 'PhotoError';
  constructor(readonly reason: 'notImage' | 'unreadable') {
    super(reason);
  }
}

export interface PreparedPhoto { blob: Blob; width: number; height: number }

/** Decodes, scales and re-encodes the photo as JPEG (browser only: createImageBitmap + canvas). */
export async function preparePhoto(file: File): Promise<PreparedPhoto> {
  if (!looksLikeImage(file)) throw new PhotoError('notImage');
  let bitmap: ImageBitmap;
  try {
    // 'from-image' turns a portrait photo upright (its EXIF orientation) before EXIF is dropped.
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new PhotoError('unreadable');
  }
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height);
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new PhotoError('unreadable');
    // A PNG with transparency would turn black in JPEG: paint it on white.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', PHOTO_JPEG_QUALITY));
    if (!blob) throw new PhotoError('unreadable');
    return { blob, width, height };
  } finally {
    bitmap.close();
  }
}
