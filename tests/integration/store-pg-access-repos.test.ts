/**
 * Users, sessions, display tokens, the login throttle, the audit log and the server secret on
 * the asynchronous layer give the same answers on SQLite and PostgreSQL. Each case opens a fresh
 * store, so the ids (1, 2, …) and every expected value are worked out by hand from its own steps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerSecret } from '../../server/auth/server-secret.ts';
import { LoginThrottle, type ThrottleRule } from '../../server/auth/login-throttle.ts';
import { AccessRepo, tokenHash } from '../../server/store/access-repo.ts';
import { AuditRepo, auditScope, type AuditFilter, type AuditScope } from '../../server/store/audit-repo.ts';
import { openDatabase } from '../../server/store/database.ts';
import { migratePostgres } from '../../server/store/sql/migrate-postgres.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import type { SqlStore } from '../../server/store/sql/types.ts';
import { openTestPgStore, pgAvailable } from './store-pg-harness.ts';

/** A real time (beyond 2³¹ ms): BIGINT columns on PostgreSQL. */
const T0 = Date.parse('2026-12-07T08:00:00+08:00');
const H = 3_600_000;

interface Opened { store: SqlStore; dispose(): Promise<void> }

const drivers = [
  {
    name: 'SQLite', run: true,
    open: async (): Promise<Opened> => {
      const dir = mkdtempSync(join(tmpdir(), 'cityops-access-'));
      const store = new SqliteStore(openDatabase(dir), true);
      return { store, dispose: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'PostgreSQL', run: pgAvailable,
    open: async (): Promise<Opened> => { const t = await openTestPgStore('access'); await migratePostgres(t.store); return { store: t.store, dispose: () => t.dispose() }; },
  },
] as const;

for (const driver of drivers) {
  describe.skipIf(!driver.run)(`access and audit repositories on ${driver.name}`, () => {
    let opened: Opened | undefined;
    const open = async () => { opened = await driver.open(); return opened.store; };
    afterEach(async () => { await opened?.dispose(); opened = undefined; });

    it('creates users with ids in order, finds them, counts admins and refuses a taken name or a crew without its unit', async () => {
      const access = new AccessRepo(await open());
      expect(await access.countAdmins()).toBe(0);
      expect(await access.createUser('admin', 'h-admin', 'admin', T0)).toBe(1);
      expect(await access.createUser('li', 'h-li', 'dispatcher', T0)).toBe(2);
      expect(await access.createUser('wang', 'h-wang', 'field', T0, 'staff-0001')).toBe(3);
      expect(await access.countAdmins()).toBe(1);
      expect(await access.findUser('wang')).toEqual({ id: 3, username: 'wang', role: 'field', passwordHash: 'h-wang', disabled: false, unitId: 'staff-0001' });
      expect(await access.findUser('li')).toEqual({ id: 2, username: 'li', role: 'dispatcher', passwordHash: 'h-li', disabled: false, unitId: null });
      expect(await access.findUser('nobody')).toBeUndefined();
      await expect(access.createUser('li', 'h-other', 'leader', T0)).rejects.toThrow(/unique/i);
      await expect(access.createUser('zhou', 'h-zhou', 'field', T0, null)).rejects.toThrow(/check/i);
      expect(await access.findUser('li')).toMatchObject({ role: 'dispatcher', passwordHash: 'h-li' });
      expect(await access.findUser('zhou')).toBeUndefined();
    });

    it('resolves a session until it expires or is revoked, and not for a disabled user', async () => {
      const store = await open();
      const access = new AccessRepo(store);
      const li = await access.createUser('li', 'h-li', 'dispatcher', T0);
      const wang = await access.createUser('wang', 'h-wang', 'field', T0, 'staff-0001');
      await access.createSession('li-short', li, 1000, T0);
      await access.createSession('wang-1', wang, H, T0);
      expect(await access.sessionUser('li-short', T0 + 999)).toEqual({ username: 'li', role: 'dispatcher', unitId: null });
      // expires_at is the first instant it no longer works.
      expect(await access.sessionUser('li-short', T0 + 1000)).toBeUndefined();
      expect(await access.sessionUser('wang-1', T0 + 1000)).toEqual({ username: 'wang', role: 'field', unitId: 'staff-0001' });
      expect(await access.sessionUser('never-issued', T0)).toBeUndefined();
      expect(await access.revokeSession('wang-1', T0 + 2000)).toBe(true);
      expect(await access.revokeSession('wang-1', T0 + 2001)).toBe(false);
      expect(await access.sessionUser('wang-1', T0 + 2002)).toBeUndefined();
      // Disabled (by an admin, or the CLI in another process): the session stops resolving at once.
      await access.createSession('wang-2', wang, H, T0 + 3000);
      await store.exec('UPDATE users SET disabled_at = $1 WHERE id = $2', [T0 + 3500, wang]);
      expect(await access.sessionUser('wang-2', T0 + 3600)).toBeUndefined();
      expect(await access.findUser('wang')).toMatchObject({ disabled: true });
    });

    it('changes a password ending every open session but the one kept, and reports what ended for the sweep', async () => {
      const store = await open();
      const access = new AccessRepo(store);
      const li = await access.createUser('li', 'h-li', 'dispatcher', T0);
      const zhao = await access.createUser('zhao', 'h-zhao', 'leader', T0);
      await access.createSession('li-short', li, 1000, T0); // expires T0+1000
      await access.createSession('li-revoked', li, H, T0);
      await access.createSession('li-kept', li, H, T0);
      await access.createSession('li-other', li, H, T0);
      await access.createSession('zhao-1', zhao, H, T0);
      await access.revokeSession('li-revoked', T0 + 10);

      // Only li-other was still open and is not the one kept: expired and revoked ones are not "ended" again.
      expect(await access.setPassword(li, 'h-li-2', T0 + 2000, tokenHash('li-kept'))).toEqual([tokenHash('li-other')]);
      expect((await access.findUser('li'))!.passwordHash).toBe('h-li-2');
      expect(await access.sessionUser('li-kept', T0 + 2001)).toMatchObject({ username: 'li' });
      expect(await access.sessionUser('li-other', T0 + 2001)).toBeUndefined();
      // Without a session to keep (the CLI's reset), the last one ends too; a second call finds none.
      expect(await access.revokeUserSessions(li, T0 + 3000)).toEqual([tokenHash('li-kept')]);
      expect(await access.revokeUserSessions(li, T0 + 3001)).toEqual([]);
      expect(await access.sessionUser('zhao-1', T0 + 3002)).toMatchObject({ username: 'zhao' });

      const wall = await access.createDisplayToken('wall-a', 'Wall A', 'admin', T0);
      await access.revokeDisplayToken(wall, T0 + 4000);
      await store.exec('UPDATE users SET disabled_at = $1 WHERE id = $2', [T0 + 4500, zhao]);
      // (T0, T0+5000]: li-short expired at +1000, li-revoked +10, li-other +2000, li-kept +3000; zhao disabled at +4500; the wall at +4000.
      expect((await access.endedSince(T0, T0 + 5000)).sort()).toEqual([
        `display:${wall}`,
        ...['li-kept', 'li-other', 'li-revoked', 'li-short', 'zhao-1'].map((t) => `session:${tokenHash(t)}`),
      ].sort());
      // (T0+2000, T0+4000]: li-kept (+3000) and the wall (+4000, the end included); li-other ended at +2000, the start excluded.
      expect((await access.endedSince(T0 + 2000, T0 + 4000)).sort()).toEqual([`display:${wall}`, `session:${tokenHash('li-kept')}`].sort());
      // Ended before T0+2500: li-short (expired), li-revoked and li-other (revoked); li-kept ended after, zhao-1 never did (its user is disabled).
      expect(await access.pruneSessions(T0 + 2500)).toBe(3);
      expect(await store.query('SELECT token_hash FROM sessions ORDER BY created_at, token_hash')).toHaveLength(2);
    });

    it('issues display tokens, marks them used at most once a minute, lists and revokes them', async () => {
      const access = new AccessRepo(await open());
      expect(await access.createDisplayToken('wall-a', 'Wall A', 'admin', T0)).toBe(1);
      expect(await access.createDisplayToken('wall-b', 'Wall B', 'cli', T0 + 1)).toBe(2);
      expect(await access.useDisplayToken('wall-a', T0 + 100)).toEqual({ id: 1, name: 'Wall A' });
      expect(await access.useDisplayToken('wall-a', T0 + 60_100)).toEqual({ id: 1, name: 'Wall A' });
      const lastUsedA = async () => (await access.listDisplayTokens())[0]!.lastUsedAt;
      expect(await lastUsedA()).toBe(T0 + 100);
      await access.useDisplayToken('wall-a', T0 + 60_101);
      expect(await lastUsedA()).toBe(T0 + 60_101);
      expect(await access.useDisplayToken('not-a-token', T0)).toBeUndefined();
      expect(await access.revokeDisplayToken(1, T0 + 70_000)).toBe(true);
      expect(await access.revokeDisplayToken(1, T0 + 70_001)).toBe(false);
      expect(await access.revokeDisplayToken(99, T0 + 70_002)).toBe(false);
      expect(await access.useDisplayToken('wall-a', T0 + 70_003)).toBeUndefined();
      expect(await access.listDisplayTokens()).toEqual([
        { id: 1, name: 'Wall A', createdAt: T0, createdBy: 'admin', revokedAt: T0 + 70_000, lastUsedAt: T0 + 60_101 },
        { id: 2, name: 'Wall B', createdAt: T0 + 1, createdBy: 'cli', revokedAt: null, lastUsedAt: null },
      ]);
    });

    it('counts login failures per key, locks with doubling delays up to the cap, forgets, clears and prunes', async () => {
      const throttle = new LoginThrottle(await open());
      const rule: ThrottleRule = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 4000, forgetAfterMs: 60_000 };
      const user = 'user:li';
      const addr = 'addr:10.0.0.7';
      // Failures 1 and 2 are free; 3 locks 1 s, 4 locks 2 s, 5 locks 4 s, 6 stays at the 4 s cap.
      expect(await throttle.recordFailure(user, rule, T0)).toBe(1);
      expect(await throttle.recordFailure(user, rule, T0 + 10)).toBe(2);
      expect(await throttle.lockedUntil([user], T0 + 10)).toBeUndefined();
      expect(await throttle.recordFailure(user, rule, T0 + 20)).toBe(3);
      expect(await throttle.lockedUntil([user], T0 + 20)).toBe(T0 + 1020);
      expect(await throttle.recordFailure(user, rule, T0 + 30)).toBe(4);
      expect(await throttle.lockedUntil([user], T0 + 30)).toBe(T0 + 2030);
      expect(await throttle.recordFailure(user, rule, T0 + 40)).toBe(5);
      expect(await throttle.recordFailure(user, rule, T0 + 50)).toBe(6);
      expect(await throttle.lockedUntil([user], T0 + 50)).toBe(T0 + 4050);
      expect(await throttle.lockedUntil([user], T0 + 4050)).toBeUndefined();
      for (let i = 0; i < 3; i++) await throttle.recordFailure(addr, rule, T0 + 55 + i);
      // The latest lock of the keys asked about.
      expect(await throttle.lockedUntil([addr, user], T0 + 60)).toBe(T0 + 4050);
      expect(await throttle.lockedUntil([addr], T0 + 60)).toBe(T0 + 1057);
      // 60 s without a failure: the count starts again, and a first failure locks nothing.
      expect(await throttle.recordFailure(user, rule, T0 + 60_050)).toBe(1);
      expect(await throttle.lockedUntil([user], T0 + 60_050)).toBeUndefined();
      // A correct password clears the key.
      await throttle.recordFailure(user, rule, T0 + 60_060);
      await throttle.clear(user);
      expect(await throttle.recordFailure(user, rule, T0 + 60_070)).toBe(1);
      // Pruned: counters neither locked nor failed within forgetAfterMs. The address's last failure was at T0+57.
      expect(await throttle.prune(T0 + 60_058, 60_000)).toBe(1);
      expect(await throttle.prune(T0 + 60_058 + 60_000 + 13, 60_000)).toBe(1);
    });

    it('counts failures that arrive at once, each once, and locks for the highest count', async () => {
      const throttle = new LoginThrottle(await open());
      const rule: ThrottleRule = { freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 60_000, forgetAfterMs: 60_000 };
      const counts = await Promise.all(Array.from({ length: 6 }, () => throttle.recordFailure('user:wang', rule, T0)));
      expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
      // Six failures: 8 s, whichever of them wrote its lock last.
      expect(await throttle.lockedUntil(['user:wang'], T0)).toBe(T0 + 8000);
    });

    it('records audit entries, filters and pages them, and prunes past retention', async () => {
      const audit = new AuditRepo(await open());
      const rows: [string, string, string, number][] = [
        ['li', 'case.create', 'case:1', T0], ['li', 'case.dispatch', 'case:1', T0 + 1], ['wang', 'case.close', 'case:10', T0 + 2],
        ['wang', 'alarm.ack', 'alarm:3', T0 + 3], ['li', 'request.write', '/api/cases/1_x', T0 + 4], ['li', 'casex', 'case%', T0 + 5],
      ];
      for (const [actor, action, target, ts] of rows) await audit.record({ actor, action, target, detail: { n: ts - T0 }, ts });
      await audit.record({ actor: 'system', action: 'bootstrap', ts: T0 + 6 });
      const targets = async (f: AuditFilter) => (await audit.query(f)).entries.map((e) => e.target);
      expect(await targets({ limit: 10, actor: 'wang' })).toEqual(['alarm:3', 'case:10']);
      expect(await targets({ limit: 10, action: 'case.' })).toEqual(['case:10', 'case:1', 'case:1']);
      expect(await targets({ limit: 10, action: 'case*' })).toEqual(['case%', 'case:10', 'case:1', 'case:1']);
      expect(await targets({ limit: 10, action: 'case.close' })).toEqual(['case:10']);
      // LIKE's wildcards in the filter match themselves only; letters match in either case, as SQLite's LIKE always did.
      expect(await targets({ limit: 10, target: 'case%' })).toEqual(['case%']);
      expect(await targets({ limit: 10, target: '/api/cases/1_' })).toEqual(['/api/cases/1_x']);
      expect(await targets({ limit: 10, target: 'CASE:1' })).toEqual(['case:10', 'case:1', 'case:1']);
      expect(await targets({ limit: 10, from: T0 + 2, to: T0 + 4 })).toEqual(['alarm:3', 'case:10']);
      const first = await audit.query({ limit: 4 });
      expect(first.entries.map((e) => e.detail)).toEqual([null, { n: 5 }, { n: 4 }, { n: 3 }]);
      expect(first.entries[0]).toEqual({ id: 7, ts: T0 + 6, actor: 'system', action: 'bootstrap', target: null, detail: null });
      expect(first.nextBefore).toBe(4);
      const second = await audit.query({ limit: 4, before: first.nextBefore! });
      expect(second.entries.map((e) => e.id)).toEqual([3, 2, 1]);
      expect(second.nextBefore).toBeNull();
      expect(await audit.recent(2)).toEqual([
        { ts: T0 + 6, actor: 'system', action: 'bootstrap', target: null, detail: null },
        { ts: T0 + 5, actor: 'li', action: 'casex', target: 'case%', detail: '{"n":5}' },
      ]);
      // Retention: strictly older than the cut.
      expect(await audit.prune(T0 + 3)).toBe(3);
      expect((await audit.recent()).map((e) => e.ts)).toEqual([T0 + 6, T0 + 5, T0 + 4, T0 + 3]);
    });

    it("writes an entry in the caller's transaction: committed with it, rolled back with it", async () => {
      const store = await open();
      const audit = new AuditRepo(store);
      await store.transaction(async (tx) => {
        await tx.exec("INSERT INTO users (username, password_hash, role, created_at) VALUES ('li', 'h', 'dispatcher', $1)", [T0]);
        await audit.record({ actor: 'admin', action: 'user.create', target: 'li', ts: T0 }, tx);
      });
      await expect(store.transaction(async (tx) => {
        await tx.exec("INSERT INTO users (username, password_hash, role, created_at) VALUES ('wang', 'h', 'leader', $1)", [T0 + 1]);
        await audit.record({ actor: 'admin', action: 'user.create', target: 'wang', ts: T0 + 1 }, tx);
        throw new Error('the write failed after its audit entry');
      })).rejects.toThrow('the write failed after its audit entry');
      // Inside a transaction the store itself is refused: an entry written beside it would outlive a rollback.
      await expect(store.transaction(async () => audit.record({ actor: 'admin', action: 'stray', ts: T0 + 2 }))).rejects.toThrow(/transaction/);
      expect((await audit.recent()).map((e) => e.target)).toEqual(['li']);
      expect(await store.query('SELECT username FROM users ORDER BY username')).toEqual([{ username: 'li' }]);
    });

    it('marks the HTTP request as audited at the call, before the entry is written', async () => {
      const audit = new AuditRepo(await open());
      const scope: AuditScope = { recorded: false };
      const pending = auditScope.run(scope, () => audit.record({ actor: 'li', action: 'case.create', ts: T0 }));
      expect(scope.recorded).toBe(true);
      await pending;
      expect(await audit.recent()).toHaveLength(1);
    });

    it('makes the server secret once: loaded twice, or by two nodes at once, it is the same', async () => {
      const store = await open();
      const [a, b] = await Promise.all([ServerSecret.load(store, T0), ServerSecret.load(store, T0 + 1)]);
      const c = await ServerSecret.load(store, T0 + 2);
      expect(a.derive('photo-link').equals(b.derive('photo-link'))).toBe(true);
      expect(c.derive('photo-link').equals(a.derive('photo-link'))).toBe(true);
      expect(a.derive('photo-link').equals(a.derive('open311-page-key'))).toBe(false);
      const rows = await store.query<{ n: number; len: number }>(
        `SELECT count(*) AS n, max(${store.dialect === 'postgres' ? 'octet_length' : 'length'}(secret)) AS len FROM server_secret`,
      );
      expect(rows).toEqual([{ n: 1, len: 32 }]);
      expect(JSON.stringify({ a })).toBe('{"a":"[server secret]"}');
    });
  });
}
