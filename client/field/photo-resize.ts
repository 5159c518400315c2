/**
 * After-photos leave the phone small: a 12-megapixel camera shot (4–8 MB) becomes a JPEG of at
 * most 1600 px on its longer side (a few hundred KB), which a weak connection can carry and
 * the outbox can keep in the phone's storage until it is sent.
 */
export const PHOTO_MAX_PX = 1600;
const JPEG_QUALITY = 0.85;

/** The size a photo is scaled to so that its longer side is at most `max` px (never enlarged). */
export function fitWithin(width: number, height: number, max: number): { width: number; height: number } {
  const longer = Math.max(width, height);
  if (longer <= max || longer === 0) return { width, height };
  const k = max / longer;
  return { width: Math.max(1, Math.round(width * k)), height: Math.max(1, Math.round(height * k)) };
}

/** Decodes the picked file (EXIF orientation applied by the browser), scales it and encodes a JPEG data URL. */
export async function resizePhoto(file: Blob, max = PHOTO_MAX_PX): Promise<{ dataUrl: string; width: number; height: number; bytes: number }> {
  const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height, max);
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw the photo');
    ctx.drawImage(bitmap, 0, 0, width, height);
    const dataUrl = canvas.toDataURL('image/jpeg', JPEG_QUALITY);
    const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
    return { dataUrl, width, height, bytes: Math.floor((base64.length * 3) / 4) };
  } finally {
    bitmap.close();
  }
}

/** The JPEG bytes of a data URL, for the upload body. */
export function dataUrlBytes(dataUrl: string): Uint8Array<ArrayBuffer> {
  const bin = atob(dataUrl.slice(dataUrl.indexOf(',') + 1));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
