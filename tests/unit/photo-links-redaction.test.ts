import { createHmac } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { PhotoLinks } from '../../server/cases/photo-links.ts';
import { redactUrl } from '../../server/log-redaction.ts';
import { ServerSecret } from '../../server/auth/server-secret.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { migrate } from '../../server/store/database.ts';
import { MIGRATIONS } from '../../server/store/migrations.ts';

const KEY = Buffer.alloc(32, 7);
const PHOTO = '0b5c3c1e-8a0e-4d6b-9a43-4f7f3f1b2c11';
const T0 = Date.UTC(2026, 10, 28, 9, 30); // 2026-11-28 09:30 UTC

describe('signed photo links', () => {
  it('signs case, photo and a day-rounded expiry with HMAC-SHA256', () => {
    const links = new PhotoLinks(KEY, () => T0, 86_400);
    const path = links.path(42, PHOTO);
    // expiry: at least a day ahead, rounded up to the next UTC midnight → 2026-11-30 00:00 UTC
    const exp = Date.UTC(2026, 10, 30) / 1000;
    const sig = createHmac('sha256', KEY).update(`42\n${PHOTO}\n${exp}`).digest('base64url').slice(0, 32);
    expect(path).toBe(`/media/photos/42/${PHOTO}?exp=${exp}&sig=${sig}`);
    expect(links.check(42, PHOTO, exp, sig)).toBeNull();
  });

  it('refuses another photo, another case, a changed expiry, a wrong key and an expired link', () => {
    let now = T0;
    const links = new PhotoLinks(KEY, () => now, 86_400);
    const url = new URL(links.path(42, PHOTO), 'http://x');
    const exp = Number(url.searchParams.get('exp'));
    const sig = url.searchParams.get('sig')!;
    expect(links.check(43, PHOTO, exp, sig)).toBe('bad signature');
    expect(links.check(42, PHOTO.replace('0b', '0c'), exp, sig)).toBe('bad signature');
    expect(links.check(42, PHOTO, exp + 86_400, sig)).toBe('bad signature');
    expect(links.check(42, PHOTO, exp, sig.slice(0, -1))).toBe('bad signature');
    expect(new PhotoLinks(Buffer.alloc(32, 8), () => now).check(42, PHOTO, exp, sig)).toBe('bad signature');
    now = exp * 1000 + 1;
    expect(links.check(42, PHOTO, exp, sig)).toBe('expired');
  });
});

describe('the server secret', () => {
  it('is made once per store, kept across opens, and derives a different key per purpose', async () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    const a = await ServerSecret.load(new SqliteStore(db));
    const b = await ServerSecret.load(new SqliteStore(db));
    expect(a.derive('photo-link').equals(b.derive('photo-link'))).toBe(true);
    expect(a.derive('photo-link').equals(a.derive('open311-page-key'))).toBe(false);
    expect(JSON.stringify({ a })).toBe('{"a":"[server secret]"}');
    const other = new Database(':memory:');
    migrate(other, MIGRATIONS);
    expect((await ServerSecret.load(new SqliteStore(other))).derive('photo-link').equals(a.derive('photo-link'))).toBe(false);
  });
});

describe('request log redaction', () => {
  it.each([
    ['/wall?token=abc123', '/wall?token=[redacted]'],
    ['/media/photos/1/x?exp=5&sig=AbC', '/media/photos/1/x?exp=5&sig=[redacted]'],
    ['/open311/v2/requests.json?api_key=k&service_code=A1', '/open311/v2/requests.json?api_key=[redacted]&service_code=A1'],
    ['/x?API_KEY=k', '/x?API_KEY=[redacted]'],
    ['/x?%74oken=k', '/x?%74oken=[redacted]'],
    ['/x?tokens=1&token', '/x?tokens=1&token'],
    ['/api/cases?stage=registered', '/api/cases?stage=registered'],
    ['/plain', '/plain'],
  ])('%s → %s', (url, want) => {
    expect(redactUrl(url)).toBe(want);
  });
});
