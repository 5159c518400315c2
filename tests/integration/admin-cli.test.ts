import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer, storeEnv, type RunningServer } from './server-harness.ts';
import { openDatabase } from '../../server/store/database.ts';
import { AccessRepo } from '../../server/store/access-repo.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'cityops-cli-'));
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close({ keepData: true }).catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
});

async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { env: { ...process.env, ...storeEnv(dataDir), DATA_DIR: dataDir } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const login = (url: string, username: string, password: string) =>
  fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

describe('operator CLI (npm run admin)', () => {
  it('adds people, resets a lost password, issues wall tokens — and the server honours them', async () => {
    // A dispatcher added before the first start does not stop the first admin from being created.
    const added = await admin('add-user', 'zhangwei', 'dispatcher');
    expect(added.code).toBe(0);
    const dispatcherPassword = /password: (\S+)/.exec(added.stdout)![1]!;
    expect((await admin('add-user', 'zhangwei', 'leader')).stderr).toMatch(/exists already/);
    expect((await admin('add-user', 'li', 'wall')).code).toBe(2);

    let s = await startServer({ SIM_ENABLED: 'false' }, dataDir);
    servers.push(s);
    expect(s.firstStart?.adminPassword).toBeDefined();
    expect((await login(s.url, 'zhangwei', dispatcherPassword)).status).toBe(200);
    const firstAdminPassword = s.firstStart!.adminPassword!;
    await s.close({ keepData: true });

    const reset = await admin('reset-password', 'admin');
    expect(reset.code).toBe(0);
    const newPassword = /New password for admin: (\S+)/.exec(reset.stdout)![1]!;
    const wall = await admin('wall-token', 'Lobby', 'screen');
    const wallToken = /token=([\w-]+)/.exec(wall.stdout)![1]!;
    expect(wall.stdout).toMatch(/Wall URL for "Lobby screen": http:\/\/localhost:8080\/wall\?token=/);
    expect((await admin('reset-password', 'nobody')).stderr).toMatch(/no user "nobody"/);
    expect((await admin('launch-rockets')).code).toBe(2);

    s = await startServer({ SIM_ENABLED: 'false' }, dataDir);
    servers.push(s);
    expect(s.firstStart).toBeUndefined();
    expect((await login(s.url, 'admin', firstAdminPassword)).status).toBe(401);
    expect((await login(s.url, 'admin', newPassword)).status).toBe(200);
    expect((await fetch(`${s.url}/api/district`, { headers: { authorization: `Bearer ${wallToken}` } })).status).toBe(200);
    await s.close({ keepData: true });

    const revoked = await admin('revoke-wall-tokens');
    expect(revoked.stdout).toMatch(/Revoked 2 wall display token\(s\)/);
    s = await startServer({ SIM_ENABLED: 'false' }, dataDir);
    servers.push(s);
    expect((await fetch(`${s.url}/api/district`, { headers: { authorization: `Bearer ${wallToken}` } })).status).toBe(401);
  }, 120_000); // seven CLI processes (tsx) and two server starts: slow when the machine is busy

  it('binds a field login to a unit of the district', async () => {
    const crewDir = mkdtempSync(join(tmpdir(), 'cityops-cli-crew-'));
    // The CLI alone on a fresh SQLite directory (read back below through the file), on either pass.
    const env = { ...process.env, DATA_DIR: crewDir };
    const cli = async (...args: string[]) => {
      try {
        return { code: 0, ...(await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { env })) };
      } catch (err) {
        return err as { code: number; stdout: string; stderr: string };
      }
    };
    try {
      // The first run creates and migrates the database; the refusals may then run side by side.
      const crew = await cli('add-user', 'wangfang', 'field', '--unit', 'staff-0001');
      const [noUnit, unknown] = await Promise.all([
        cli('add-user', 'liu', 'field'),
        cli('add-user', 'zhou', 'field', '--unit', 'staff-9999'),
      ]);
      expect(crew.stdout).toMatch(/^Created field wangfang for unit staff-0001 with password: \S+\n$/);
      expect(noUnit.code).toBe(2);
      expect(noUnit.stderr).toMatch(/add-user <username> field --unit <entity id>/);
      expect(unknown.stderr).toMatch(/no unit "staff-9999" in the district pack/);
      const db = openDatabase(crewDir);
      const access = new AccessRepo(new SqliteStore(db));
      expect(await access.findUser('wangfang')).toMatchObject({ role: 'field', unitId: 'staff-0001' });
      expect(await access.findUser('zhou')).toBeUndefined();
      db.close();
    } finally {
      rmSync(crewDir, { recursive: true, force: true });
    }
  });
});
