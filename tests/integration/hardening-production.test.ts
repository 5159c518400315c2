/** The server as an operator starts it (server/main.ts in its own process), in production mode. */
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(addr && typeof addr === 'object' ? addr.port : 0));
    });
  });
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-prod-'));
  dirs.push(dataDir);
  // Only what the test sets: no NODE_ENV or ADMIN_PASSWORD from the machine leaks in.
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, HOST: '127.0.0.1', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0', JT808_PORT: 'off', LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('production mode', () => {
  it('refuses to start without PUBLIC_URL', async () => {
    const p = start({ NODE_ENV: 'production', PORT: '0', ADMIN_PASSWORD: 'river-lamp-ferry-42' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/PUBLIC_URL: required in production/);
  }, 60_000);

  it('refuses a first start without ADMIN_PASSWORD rather than print a generated one', async () => {
    const p = start({ NODE_ENV: 'production', PORT: '0', PUBLIC_URL: 'https://cityops.example.gov.cn' });
    expect(await p.exited).toBe(1);
    expect(p.output()).toMatch(/ADMIN_PASSWORD: required in production on the first start/);
    expect(p.output()).not.toMatch(/Admin login:/);
  }, 60_000);

  it('starts when configured, logs wall URLs without their token and the client address a trusted proxy gives', async () => {
    const port = await freePort();
    const p = start({ NODE_ENV: 'production', PORT: String(port), PUBLIC_URL: 'https://cityops.example.gov.cn', ADMIN_PASSWORD: 'river-lamp-ferry-42', TRUST_PROXY: '1' });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 45_000;
    for (;;) {
      if (p.child.exitCode !== null) throw new Error(`server exited:\n${p.output()}`);
      const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`server did not start:\n${p.output()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const secret = 'WallTokenValue-9f8e7d6c5b4a';
    const page = await fetch(`${url}/wall?token=${secret}&layout=wide`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    await page.body?.cancel();
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(/connect-src ([^;]*)/.exec(page.headers.get('content-security-policy')!)![1]).toBe("'self' wss://cityops.example.gov.cn");
    // The request line is written when the request arrives; wait for it rather than for a fixed time.
    const until = Date.now() + 10_000;
    while (!p.output().includes('/wall?token=') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(p.output()).toMatch(/Wall URL: not printed in production/);
    const lines = p.output().split('\n').filter((l) => l.startsWith('{') && l.includes('/wall?token='));
    expect(lines.length).toBeGreaterThan(0);
    const logged = JSON.parse(lines[0]!) as { req: { url: string; remoteAddress: string } };
    expect(logged.req.url).toBe('/wall?token=[redacted]&layout=wide');
    expect(logged.req.remoteAddress).toBe('203.0.113.9');
    expect(p.output()).not.toContain(secret);
    expect(p.output()).not.toContain('river-lamp-ferry-42');
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  }, 90_000);
});
