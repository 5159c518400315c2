import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/database.ts';
import { AccessRepo } from '../../server/store/access-repo.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { verifyPassword } from '../../server/auth/passwords.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cityops-cli-pw-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function admin(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { env: { ...process.env, DATA_DIR: dataDir } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npm run admin -- set-password', () => {
  it('reads the password from stdin, applies the policy, and signs the user out everywhere', async () => {
    expect((await admin(['add-user', 'sunli', 'leader'])).code).toBe(0);
    const db = openDatabase(dataDir);
    const access = new AccessRepo(new SqliteStore(db));
    const user = (await access.findUser('sunli'))!;
    await access.createSession('sunli-open-session', user.id, 3_600_000);
    db.close();

    const weak = await admin(['set-password', 'sunli'], 'sunli2024\n');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/password not set: the password must have at least 12 characters/);
    const same = await admin(['set-password', 'sunli'], 'SunLiSunLi99\n');
    expect(same.stderr).toMatch(/must not be the username/);
    expect((await admin(['set-password', 'nobody'], 'gold-harbour-lantern\n')).stderr).toMatch(/no user "nobody"/);
    expect((await admin(['set-password'], '')).stderr).toMatch(/usage:/);

    const ok = await admin(['set-password', 'sunli'], 'gold-harbour-lantern\n');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('Password of sunli set (1 session(s) signed out)');
    // The password never appears in what the command prints.
    expect(ok.stdout + ok.stderr).not.toContain('gold-harbour-lantern');
    const after = openDatabase(dataDir);
    const repo = new AccessRepo(new SqliteStore(after));
    expect(await verifyPassword('gold-harbour-lantern', (await repo.findUser('sunli'))!.passwordHash)).toBe(true);
    expect(await repo.sessionUser('sunli-open-session')).toBeUndefined();
    after.close();
  }, 120_000);
});
