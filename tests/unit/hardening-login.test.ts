import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/store/database.ts';
import { AccessRepo, tokenHash } from '../../server/store/access-repo.ts';
import { AuditRepo } from '../../server/store/audit-repo.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { LoginThrottle, type ThrottleRule } from '../../server/auth/login-throttle.ts';
import { LoginChecker } from '../../server/auth/login.ts';
import { hashPassword, verifyPassword } from '../../server/auth/passwords.ts';
import { AccessUpkeep, ENDED_SESSION_KEEP_MS, SWEEP_OVERLAP_MS } from '../../server/auth/upkeep.ts';

let dir: string;
let db: Db;
let access: AccessRepo;
let audit: AuditRepo;
let throttle: LoginThrottle;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cityops-hardening-'));
  db = openDatabase(dir);
  const sql = new SqliteStore(db);
  access = new AccessRepo(sql);
  audit = new AuditRepo(sql);
  throttle = new LoginThrottle(sql);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = 1_800_000_000_000;
const userRule: ThrottleRule = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000 };
const addressRule: ThrottleRule = { freeFailures: 4, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000 };

describe('LoginChecker', () => {
  it('runs the password hash for unknown and disabled users too', async () => {
    const checked: string[] = [];
    const verify = async (password: string, stored: string) => { checked.push(stored); return verifyPassword(password, stored); };
    const stored = await hashPassword('river-lamp-ferry-42');
    const id = await access.createUser('li', stored, 'dispatcher', T0);
    const login = new LoginChecker({ access, throttle, verify, userRule, addressRule });

    expect(await login.attempt('nobody', 'river-lamp-ferry-42', '10.0.0.1', T0)).toEqual({ ok: false, reason: 'invalid' });
    expect(checked).toHaveLength(1);
    // The decoy has the real hashes' format and cost parameters.
    expect(checked[0]!.split('$').slice(0, 4)).toEqual(stored.split('$').slice(0, 4));
    expect(checked[0]).not.toBe(stored);

    db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(T0, id);
    expect(await login.attempt('li', 'river-lamp-ferry-42', '10.0.0.2', T0)).toEqual({ ok: false, reason: 'invalid' });
    expect(checked).toHaveLength(2);
    expect(checked[1]).toBe(checked[0]);
  });

  it('locks a user with doubling delays, whoever asks from wherever, and a success clears it', async () => {
    await access.createUser('li', await hashPassword('river-lamp-ferry-42'), 'dispatcher', T0);
    const login = new LoginChecker({ access, throttle, userRule, addressRule });
    // Two free failures from two addresses, the third locks for 1 s, the fourth (after it) for 2 s.
    expect((await login.attempt('li', 'wrong-one-1234', '10.0.0.1', T0)).ok).toBe(false);
    expect((await login.attempt('li', 'wrong-one-1234', '10.0.0.2', T0 + 10)).ok).toBe(false);
    expect(await login.attempt('li', 'wrong-one-1234', '10.0.0.3', T0 + 20)).toEqual({ ok: false, reason: 'invalid' });
    // Locked: even the right password is not looked at.
    expect(await login.attempt('li', 'river-lamp-ferry-42', '10.0.0.4', T0 + 520)).toEqual({ ok: false, reason: 'locked', retryAfterMs: 500 });
    // At T0+1020 the lock has just run out: the fourth failure locks until T0+3020.
    expect(await login.attempt('li', 'wrong-one-1234', '10.0.0.5', T0 + 1020)).toEqual({ ok: false, reason: 'invalid' });
    expect(await login.attempt('li', 'river-lamp-ferry-42', '10.0.0.5', T0 + 3019)).toEqual({ ok: false, reason: 'locked', retryAfterMs: 1 });
    const ok = await login.attempt('li', 'river-lamp-ferry-42', '10.0.0.5', T0 + 3020);
    expect(ok.ok).toBe(true);
    // Cleared: the next failure is a free one again.
    expect(await login.attempt('li', 'wrong-one-1234', '10.0.0.6', T0 + 3030)).toEqual({ ok: false, reason: 'invalid' });
    expect((await login.attempt('li', 'river-lamp-ferry-42', '10.0.0.6', T0 + 3040)).ok).toBe(true);
  });

  it('locks an address that tries many usernames, unknown ones included', async () => {
    const login = new LoginChecker({ access, throttle, userRule, addressRule });
    for (let i = 0; i < 5; i++) expect((await login.attempt(`guess${i}`, 'wrong-one-1234', '10.9.9.9', T0 + i)).ok).toBe(false);
    // The fifth failure is the address's first locked one (free: 4).
    expect(await login.attempt('guess-new', 'wrong-one-1234', '10.9.9.9', T0 + 5)).toEqual({ ok: false, reason: 'locked', retryAfterMs: 999 });
    expect(await login.attempt('guess-new', 'wrong-one-1234', '10.9.9.8', T0 + 5)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('forgets failures after a quiet period', async () => {
    const login = new LoginChecker({ access, throttle, userRule, addressRule });
    await login.attempt('li', 'x-wrong-1234', '10.0.0.1', T0);
    await login.attempt('li', 'x-wrong-1234', '10.0.0.1', T0 + 1);
    // 60 s later the count starts again: this is failure 1, not 3.
    expect(await login.attempt('li', 'x-wrong-1234', '10.0.0.1', T0 + 60_001)).toEqual({ ok: false, reason: 'invalid' });
    expect(await throttle.lockedUntil(['user:li'], T0 + 60_002)).toBeUndefined();
    expect(await throttle.prune(T0 + 60_001 + 3_600_001)).toBe(2);
  });
});

describe('AccessUpkeep', () => {
  it('emits each session and display token that ended since the last sweep, once past the overlap', async () => {
    const emitted: string[] = [];
    const upkeep = new AccessUpkeep({ access, audit, throttle, revoke: (k) => emitted.push(k), auditRetentionMs: 30 * 86_400_000 }, T0);
    const li = await access.createUser('li', 'x', 'dispatcher', T0);
    const wang = await access.createUser('wang', 'x', 'leader', T0);
    const zhao = await access.createUser('zhao', 'x', 'leader', T0);
    await access.createSession('expiring', li, 1000, T0); // ends T0+1000
    await access.createSession('long', li, 3_600_000, T0);
    await access.createSession('wang-1', wang, 3_600_000, T0);
    await access.createSession('zhao-1', zhao, 3_600_000, T0);
    const wall = await access.createDisplayToken('wall-secret', 'Wall', 'admin', T0);

    expect(await upkeep.sweep(T0 + 500)).toBe(0);
    expect(await upkeep.sweep(T0 + 1500)).toBe(1);
    expect(emitted).toEqual([`session:${tokenHash('expiring')}`]);

    // The CLI (another process) resets wang's password; an admin disables zhao; a wall token is revoked.
    await access.setPassword(wang, 'y', T0 + 2000);
    db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(T0 + 2100, zhao);
    await access.revokeDisplayToken(wall, T0 + 2200);
    emitted.length = 0;
    await upkeep.sweep(T0 + 3000);
    expect(emitted.sort()).toEqual([`display:${wall}`, `session:${tokenHash('expiring')}`, `session:${tokenHash('wang-1')}`, `session:${tokenHash('zhao-1')}`].sort());
    // The next sweep still overlaps; once its window starts after the last end nothing is emitted again.
    await upkeep.sweep(T0 + 3000 + SWEEP_OVERLAP_MS);
    emitted.length = 0;
    await upkeep.sweep(T0 + 3000 + 2 * SWEEP_OVERLAP_MS);
    expect(emitted).toEqual([]);
    // li's long session never ended.
    expect((await access.sessionUser('long', T0 + 3000 + 2 * SWEEP_OVERLAP_MS))?.username).toBe('li');
  });

  it('prunes ended sessions after a day, audit entries past retention and stale counters', async () => {
    const upkeep = new AccessUpkeep({ access, audit, throttle, revoke: () => {}, auditRetentionMs: 30 * 86_400_000 }, T0);
    const li = await access.createUser('li', 'x', 'dispatcher', T0);
    await access.createSession('old', li, 1000, T0);
    await access.createSession('live', li, 90 * 86_400_000, T0);
    await audit.record({ actor: 'li', action: 'case.create', target: 'case:1', ts: T0 });
    await audit.record({ actor: 'li', action: 'case.create', target: 'case:2', ts: T0 + 10 * 86_400_000 });
    await throttle.recordFailure('user:li', { freeFailures: 0, baseDelayMs: 1000, maxDelayMs: 1000, forgetAfterMs: 1000 }, T0);
    const now = T0 + 30 * 86_400_000 + 1;
    expect(await upkeep.prune(now)).toEqual({ sessions: 1, audit: 1, throttle: 1 });
    expect((await audit.query({ limit: 10 })).entries.map((e) => e.target)).toEqual(['case:2']);
    expect((await access.sessionUser('live', now))?.username).toBe('li');
    expect(ENDED_SESSION_KEEP_MS).toBe(86_400_000);
  });
});
