import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, liveClient, once, type RunningServer, type LiveClient } from './server-harness.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { newToken } from '../../server/auth/passwords.ts';

let s: RunningServer;
const sockets: LiveClient[] = [];
beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD: 'admin-password-for-hardening' });
});
afterAll(async () => {
  for (const c of sockets) c.close();
  await s.close();
});

const json = { 'content-type': 'application/json' };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${s.url}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
async function login(username: string, password: string): Promise<string> {
  const r = await post('/api/auth/login', { username, password });
  expect(r.status).toBe(200);
  return ((await r.json()) as { token: string }).token;
}
async function addUser(username: string, password: string, role: 'dispatcher' | 'leader' | 'admin' = 'dispatcher'): Promise<number> {
  return s.app.store.access.createUser(username, await hashPassword(password), role);
}
function open(token: string): LiveClient {
  const c = liveClient(s.url, token);
  sockets.push(c);
  return c;
}

describe('login lockout over HTTP', () => {
  it('answers 429 with Retry-After once a user failed too often, even with the right password, and audits it', async () => {
    // Its own server: the per-address limit (10 logins a minute) must not mix with the other tests' logins.
    const own = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD: 'admin-password-for-hardening' });
    try {
      await own.app.store.access.createUser('lockme', await hashPassword('lockme-right-password'), 'dispatcher');
      const attempt = (password: string) => fetch(`${own.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'lockme', password }) });
      const statuses: number[] = [];
      for (let k = 0; k < 6; k++) statuses.push((await attempt(`wrong-password-${k}`)).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
      const locked = await attempt('lockme-right-password');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await locked.json()) as { error: { code: string } }).error.code).toBe('login_locked');
      const entries = (await own.app.store.audit.query({ limit: 10, actor: 'lockme' })).entries.map((e) => e.action);
      expect(entries).toEqual(['login.locked', ...Array(6).fill('login.failed')]);
    } finally {
      await own.close();
    }
  });
});

describe('password change', () => {
  it('applies the policy, wants the current password, and ends the other sessions and their live screens', async () => {
    await addUser('chen', 'chen-first-password');
    const here = await login('chen', 'chen-first-password');
    const elsewhere = await login('chen', 'chen-first-password');
    const c = open(elsewhere);
    await once((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');

    const weak = await post('/api/auth/password', { currentPassword: 'chen-first-password', newPassword: 'password1234' }, bearer(here));
    expect(weak.status).toBe(400);
    expect(await weak.json()).toEqual({ error: { code: 'weak_password', message: 'the password is on the list of common passwords; choose another', details: { rule: 'common' } } });
    const short = await post('/api/auth/password', { currentPassword: 'chen-first-password', newPassword: 'short' }, bearer(here));
    expect(((await short.json()) as { error: { details: { rule: string } } }).error.details.rule).toBe('too_short');
    expect((await post('/api/auth/password', { currentPassword: 'not-my-password', newPassword: 'chen-second-password' }, bearer(here))).status).toBe(401);
    const wall = await post('/api/auth/password', { currentPassword: 'x', newPassword: 'chen-second-password' }, bearer(s.firstStart!.wallToken));
    expect(wall.status).toBe(403);

    const revoked = once<void>((ok) => c.once('session:revoked', ok), 10_000, 'session:revoked');
    const disconnected = once<string>((ok) => c.once('disconnect', ok), 10_000, 'disconnect');
    expect((await post('/api/auth/password', { currentPassword: 'chen-first-password', newPassword: 'chen-second-password' }, bearer(here))).status).toBe(204);
    await revoked;
    expect(await disconnected).toBe('io server disconnect');
    expect((await fetch(`${s.url}/api/auth/me`, { headers: bearer(elsewhere) })).status).toBe(401);
    expect((await fetch(`${s.url}/api/auth/me`, { headers: bearer(here) })).status).toBe(200);
    expect((await post('/api/auth/login', { username: 'chen', password: 'chen-first-password' })).status).toBe(401);
    await login('chen', 'chen-second-password');
  });
});

describe('the session sweep', () => {
  it('cuts off a live screen whose session expired, and one whose session another process revoked', async () => {
    const id = await addUser('zhou', 'zhou-first-password');
    const shortLived = newToken();
    await s.app.store.access.createSession(shortLived, id, 1500);
    const revokedElsewhere = newToken();
    await s.app.store.access.createSession(revokedElsewhere, id, 3_600_000);
    const a = open(shortLived);
    const b = open(revokedElsewhere);
    await once((ok) => a.once('live:snapshot', ok), 15_000, 'snapshot a');
    await once((ok) => b.once('live:snapshot', ok), 15_000, 'snapshot b');
    const aGone = once<string>((ok) => a.once('disconnect', ok), 20_000, 'expired session disconnect');
    const bRevoked = once<void>((ok) => b.once('session:revoked', ok), 20_000, 'revoked session event');
    // As the operator CLI does it: straight in the store, with no event in this process.
    await s.app.store.sql.exec('UPDATE sessions SET revoked_at = $1 WHERE user_id = $2', [Date.now(), id]);
    expect(await aGone).toBe('io server disconnect');
    await bRevoked;
  });
});

describe('audit log', () => {
  it('records a write by a route that audits nothing itself, once for one that does, and serves it to admins only', async () => {
    const admin = await login('admin', 'admin-password-for-hardening');
    const dispatcher = await login('chen', 'chen-second-password');
    // A write route with no audit entry of its own, registered like any other: the generic entry covers it.
    const probe = await s.app.inject({ method: 'GET', url: '/api/audit?action=request.write', headers: bearer(admin) });
    expect(probe.statusCode).toBe(200);
    const before = (probe.json() as { entries: unknown[] }).entries.length;

    expect((await post('/api/display-tokens', { name: 'Audit wall' }, bearer(admin))).status).toBe(201);
    // logout audits itself: one 'logout' entry, no generic one.
    const throwaway = await login('chen', 'chen-second-password');
    expect((await fetch(`${s.url}/api/auth/logout`, { method: 'POST', headers: bearer(throwaway) })).status).toBe(204);
    const page = await fetch(`${s.url}/api/audit?actor=chen&limit=2`, { headers: bearer(admin) });
    expect(page.status).toBe(200);
    const body = (await page.json()) as { entries: { action: string; actor: string }[]; nextBefore: number | null };
    expect(body.entries.map((e) => e.action)).toEqual(['logout', 'login']);
    expect(body.nextBefore).not.toBeNull();
    const older = (await (await fetch(`${s.url}/api/audit?actor=chen&limit=500&before=${body.nextBefore}`, { headers: bearer(admin) })).json()) as { entries: { action: string }[] };
    expect(older.entries[0]!.action).toBe('login');
    const created = (await (await fetch(`${s.url}/api/audit?action=displayToken.`, { headers: bearer(admin) })).json()) as { entries: { actor: string; detail: unknown }[] };
    expect(created.entries[0]).toMatchObject({ actor: 'admin', detail: { name: 'Audit wall' } });
    const generic = (await (await fetch(`${s.url}/api/audit?action=request.write`, { headers: bearer(admin) })).json()) as { entries: unknown[] };
    expect(generic.entries.length).toBe(before);

    expect((await fetch(`${s.url}/api/audit`, { headers: bearer(dispatcher) })).status).toBe(403);
    expect((await fetch(`${s.url}/api/audit`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/audit?from=10&to=5`, { headers: bearer(admin) })).status).toBe(400);
    expect((await fetch(`${s.url}/api/audit?limit=501`, { headers: bearer(admin) })).status).toBe(400);
  });

  it('adds a generic entry for a write whose route records none', async () => {
    // Its own app: a route is added before it starts, as a plugin would add one.
    const own = await startServerWithProbe();
    try {
      const token = await (async () => {
        const r = await fetch(`${own.url}/api/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'admin', password: 'admin-password-for-hardening' }) });
        return ((await r.json()) as { token: string }).token;
      })();
      const r = await fetch(`${own.url}/api/probe/7?secret=zzz`, { method: 'PUT', headers: bearer(token) });
      expect(r.status).toBe(200);
      const denied = await fetch(`${own.url}/api/probe/8`, { method: 'PUT' });
      expect(denied.status).toBe(401);
      const entries = (await own.app.store.audit.query({ limit: 10, action: 'request.write' })).entries;
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ actor: 'admin', target: '/api/probe/7', detail: { method: 'PUT', route: '/api/probe/:id', status: 200, role: 'admin' } });
    } finally {
      await own.app.close();
    }
  });
});

describe('headers', () => {
  it('sends no Referer from pages (the wall URL holds its token) and limits connect-src to this origin', async () => {
    const r = await fetch(`${s.url}/api/health`);
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = r.headers.get('content-security-policy')!;
    const connect = /connect-src ([^;]*)/.exec(csp)![1]!.split(' ');
    expect(connect).toEqual(["'self'"]);
  });
});

async function startServerWithProbe(): Promise<{ app: RunningServer['app']; url: string }> {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { buildApp } = await import('../../server/app.ts');
  const { loadConfig } = await import('../../server/config.ts');
  const { lixiaPack } = await import('./server-harness.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-audit-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIM_ENABLED: 'false', SIM_HISTORY_DAYS: '0', ADMIN_PASSWORD: 'admin-password-for-hardening' });
  const { app } = await buildApp(config, { pack: await lixiaPack(), logger: false, clientRoot: join(dataDir, 'no-client') });
  app.put('/api/probe/:id', { preHandler: app.auth.requireRole('admin') }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  return { app, url: `http://127.0.0.1:${addr && typeof addr === 'object' ? addr.port : 0}` };
}
