/**
 * What the browser tests share: the real server as `npm start` runs it (the bundle
 * scripts/build.mjs makes, a temp DATA_DIR), Chromium on software GL, and the watch on each
 * page for console errors, page errors and requests that would leave the machine.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ENTITY_KINDS, type EntityKind } from '../../shared/entities.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, 'test-results/e2e');
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  if (process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}: browser tests cannot run in CI`);
  console.warn(`⚠ Chromium not found at ${CHROMIUM}: browser tests SKIPPED`);
}
const LOCAL_URL = /^(https?|wss?):\/\/(127\.0\.0\.1|localhost)(:\d+)?\//;

/**
 * The build as it is now: the client when its sources are newer than dist/ (with the
 * window.__cityops test hooks the tests read), and the server bundle.
 */
export function buildApp(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, CITYOPS_TEST_HOOKS: '1' } });
  mkdirSync(SHOTS, { recursive: true });
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Started { child: ChildProcess; wallUrl: string; adminPassword: string; base: string }

/** Spawns the server and resolves with `ready(stdout so far)` once that returns a value. */
function spawnServer<T>(port: number, dataDir: string, env: Record<string, string>, waitingFor: string, ready: (out: string, child: ChildProcess) => T | null): Promise<T> {
  const child = spawn(process.execPath, ['--enable-source-maps', path.join(ROOT, 'dist/server/main.mjs')], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, SIM_SEED: '42', NODE_ENV: 'development', SIM_HISTORY_DAYS: '0', JT808_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not print ${waitingFor}:\n${out}`)), 90_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const value = ready(out, child);
      if (value !== null) {
        clearTimeout(timer);
        resolve(value);
      }
    });
  });
}

/** First start on an empty data dir: the server prints the wall URL and the admin password once. */
export async function startServer(port: number, dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  return spawnServer(port, dataDir, env, 'its wall URL', (out, child) => {
    const wall = /Wall URL: (\S+)/.exec(out);
    const admin = /Admin login: admin \/ (\S+)/.exec(out);
    if (!wall?.[1] || !admin?.[1] || !/ready|listening/i.test(out)) return null;
    // The printed host may be "localhost"; talk to the port we chose on 127.0.0.1 either way.
    const url = new URL(wall[1]);
    url.host = `127.0.0.1:${port}`;
    return { child, wallUrl: url.href, adminPassword: admin[1], base: `http://127.0.0.1:${port}` };
  });
}

/** A restart on an existing data dir prints only its ready line; the wall token and admin password stay. */
export async function restartServer(previous: Started, port: number, dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  return spawnServer(port, dataDir, env, 'its ready line', (out, child) => (/CityOps Command ready: /.test(out) ? { ...previous, child } : null));
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** Console errors, page errors and requests that would leave the machine, per page. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!LOCAL_URL.test(url) && !url.startsWith('data:') && !url.startsWith('blob:')) problems.push(`external request: ${url}`);
  });
  return problems;
}

/** Software GL (swiftshader) on a 2-core box draws a 4K frame in seconds: the 4K test waits longer. */
export async function waitForWall(page: Page, timeout = 90_000): Promise<void> {
  // The same budget for the canvas as for the markers: on a 12 MP page a busy main thread answers
  // even a visible element's check late (CI saw a 60 s cap fail with the canvas already there).
  await page.waitForSelector('canvas.maplibregl-canvas, canvas.mapboxgl-canvas', { timeout });
  await page.waitForFunction(
    (kinds) => {
      const drawn = window.__cityops?.drawnCounts();
      return !!drawn && kinds.every((k) => (drawn[k as EntityKind] ?? 0) > 0);
    },
    [...ENTITY_KINDS],
    { timeout, polling: 1000 },
  );
}

/** A JSON call to the server's API as `token`; anything but 2xx throws with the answer. */
export async function api<T>(server: Started, token: string, method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Signs in over the API and returns the session token. */
export async function login(server: Started, username: string, password: string): Promise<string> {
  const res = await fetch(`${server.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login of ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** The operator CLI (`npm run admin -- …`) against a server's DATA_DIR; returns what it printed. */
export function operatorCli(dataDir: string, port: number): (...args: string[]) => string {
  return (...args) => execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/cli.ts'), ...args], {
    cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, PORT: String(port) }, encoding: 'utf8',
  });
}

/** A countdown as the screens show it, "mm:ss" or "h:mm:ss" → seconds (negative when it shows "-"). */
export function countdownSeconds(countdown: string): number {
  const m = /^(-?)(?:(\d+):)?(\d{2}):(\d{2})$/.exec(countdown.trim());
  if (!m) throw new Error(`not a countdown: "${countdown}"`);
  const s = Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return m[1] ? -s : s;
}
