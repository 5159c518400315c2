/**
 * Signed photo links: a photo is served without a login only through a link the server
 * signed, for one photo, until it expires. Open311's `media_url` and the citizen's status
 * page use them; people on the console use the authorised route
 * (`/api/cases/{id}/photos/{photoId}`). The signature is an HMAC over case, photo and expiry
 * with a key derived from the server secret; the request log drops it (server/log-redaction.ts).
 * Expiry is rounded up to a day boundary so the same photo gets the same link all day and
 * clients can cache it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const PHOTO_LINK_PREFIX = '/media/photos';
const DAY_S = 86_400;

export class PhotoLinks {
  constructor(private readonly key: Buffer, private readonly now: () => number, private readonly ttlS = 30 * DAY_S) {}

  /** The path (no origin) of a signed link to the photo; valid for at least `ttlS`. */
  path(caseId: number, photoId: string): string {
    const exp = Math.ceil((Math.floor(this.now() / 1000) + this.ttlS) / DAY_S) * DAY_S;
    return `${PHOTO_LINK_PREFIX}/${caseId}/${encodeURIComponent(photoId)}?exp=${exp}&sig=${this.sign(caseId, photoId, exp)}`;
  }

  /** Why a link is refused, or null when it is good. */
  check(caseId: number, photoId: string, exp: number, sig: string): 'expired' | 'bad signature' | null {
    const want = Buffer.from(this.sign(caseId, photoId, exp));
    const got = Buffer.from(sig);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad signature';
    if (exp * 1000 < this.now()) return 'expired';
    return null;
  }

  private sign(caseId: number, photoId: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${caseId}\n${photoId}\n${exp}`).digest('base64url').slice(0, 32);
  }
}
