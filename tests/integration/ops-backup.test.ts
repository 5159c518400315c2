/**
 * Issue 9 part 7: `npm run admin -- backup <file>` copies the store of a running server (while it
 * writes), `restore <file>` refuses while a server has the store open, and a server started on a
 * data dir restored from the backup finds the same cases, users and display tokens.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { call, login } from './ops-http.ts';
import { startServer, storeEnv, TEST_DATABASE_URL, type RunningServer } from './server-harness.ts';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'ops-backup-admin-password';

async function cli(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { env: { ...process.env, ...storeEnv(dataDir), DATA_DIR: dataDir, LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const servers: RunningServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// On PostgreSQL the copy is pg_dump's and pg_restore's: the commands say so and touch nothing.
describe.runIf(TEST_DATABASE_URL)('backup and restore on PostgreSQL', () => {
  it('name pg_dump and pg_restore instead of copying a file', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cityops-backup-pg-'));
    dirs.push(work);
    const backup = await cli(work, 'backup', join(work, 'b.sqlite'));
    expect(backup.code).toBe(2);
    expect(backup.stderr).toContain('pg_dump -Fc');
    expect(backup.stderr).not.toContain('postgres://');
    expect(existsSync(join(work, 'b.sqlite'))).toBe(false);
    const restore = await cli(work, 'restore', join(work, 'b.sqlite'));
    expect(restore.code).toBe(2);
    expect(restore.stderr).toContain('pg_restore');
  });
});

// The SQLite file's own copy (the PostgreSQL pass runs the test above instead).
describe.skipIf(TEST_DATABASE_URL)('backup and restore', () => {
  it('backs up a running server and restores into a new data dir with the same cases, users and tokens', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cityops-backup-'));
    dirs.push(work);
    const s = await startServer({ ADMIN_PASSWORD });
    servers.push(s);
    const admin = await login(s.url, 'admin', ADMIN_PASSWORD);

    const added = await cli(s.dataDir, 'add-user', 'backup.dispatcher', 'dispatcher');
    expect(added.code, added.stderr).toBe(0);
    const password = /with password: (\S+)/.exec(added.stdout)![1]!;
    const tokenMade = await call(s.url, admin, 'POST', '/api/display-tokens', { name: 'Backup wall' });
    expect(tokenMade.status).toBe(201);
    const made: { id: number; code: string; title: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call(s.url, admin, 'POST', '/api/cases', { source: 'supervisor', itemCode: '01.01.001', title: `backup case ${i}`, lon: 117.06, lat: 36.66 });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      made.push(r.json);
    }

    // The backup runs while the server keeps writing: cases filed during it land in the live store.
    const backupFile = join(work, 'cityops-backup.sqlite');
    const writing = (async () => {
      for (let i = 0; i < 5; i++) await call(s.url, admin, 'POST', '/api/cases', { source: 'supervisor', itemCode: '01.01.001', title: `during ${i}`, lon: 117.06, lat: 36.66 });
    })();
    const backup = await cli(s.dataDir, 'backup', backupFile);
    await writing;
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout).toContain(backupFile);
    expect(existsSync(backupFile)).toBe(true);
    expect(existsSync(`${backupFile}.partial`)).toBe(false);

    // Never over an existing file.
    const again = await cli(s.dataDir, 'backup', backupFile);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists already');

    // The running server holds its store: restore refuses and leaves it alone.
    const refused = await cli(s.dataDir, 'restore', backupFile);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('stop it, then restore');
    expect((await call(s.url, admin, 'GET', `/api/cases/${made[0]!.id}`)).status).toBe(200);

    // Into a new data dir, then a server on it.
    const restoredDir = join(work, 'restored');
    const restored = await cli(restoredDir, 'restore', backupFile);
    expect(restored.code, restored.stderr).toBe(0);
    expect(readdirSync(restoredDir)).toContain('cityops.sqlite');
    const r = await startServer({}, restoredDir);
    servers.push(r);
    // No first start: the restored store has its admin already.
    expect(r.firstStart).toBeUndefined();
    const rAdmin = await login(r.url, 'admin', ADMIN_PASSWORD);
    for (const c of made) {
      const got = await call(r.url, rAdmin, 'GET', `/api/cases/${c.id}`);
      expect(got.status).toBe(200);
      expect({ code: got.json.code, title: got.json.title }).toEqual({ code: c.code, title: c.title });
    }
    const person = await login(r.url, 'backup.dispatcher', password);
    expect((await call(r.url, person, 'GET', '/api/auth/me')).json).toMatchObject({ name: 'backup.dispatcher', role: 'dispatcher' });
    const tokens = await call(r.url, rAdmin, 'GET', '/api/display-tokens');
    expect(tokens.json.map((t: { name: string }) => t.name)).toContain('Backup wall');
    // The wall token printed on the first start still opens the restored district.
    expect((await call(r.url, s.firstStart!.wallToken, 'GET', '/api/auth/me')).status).toBe(200);
  }, 180_000);

  it('restore over a stopped store keeps the old file beside it, and refuses a file that is not a store', async () => {
    const work = mkdtempSync(join(tmpdir(), 'cityops-backup-'));
    dirs.push(work);
    const s = await startServer({ ADMIN_PASSWORD });
    const admin = await login(s.url, 'admin', ADMIN_PASSWORD);
    const before = await call(s.url, admin, 'POST', '/api/display-tokens', { name: 'Before backup' });
    expect(before.status).toBe(201);
    const backupFile = join(work, 'b.sqlite');
    expect((await cli(s.dataDir, 'backup', backupFile)).code).toBe(0);
    const after = await call(s.url, admin, 'POST', '/api/display-tokens', { name: 'After backup' });
    expect(after.status).toBe(201);
    await s.close({ keepData: true });
    dirs.push(s.dataDir);

    const junk = join(work, 'junk.sqlite');
    writeFileSync(junk, 'not a database at all, just text');
    const bad = await cli(s.dataDir, 'restore', junk);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not a readable SQLite database');

    const restored = await cli(s.dataDir, 'restore', backupFile);
    expect(restored.code, restored.stderr).toBe(0);
    expect(readdirSync(s.dataDir).filter((f) => f.startsWith('cityops.sqlite.before-restore-'))).toHaveLength(1);
    const r = await startServer({}, s.dataDir);
    servers.push(r);
    const names = (await call(r.url, await login(r.url, 'admin', ADMIN_PASSWORD), 'GET', '/api/display-tokens')).json.map((t: { name: string }) => t.name);
    expect(names).toContain('Before backup');
    expect(names).not.toContain('After backup');
  }, 180_000);
});
