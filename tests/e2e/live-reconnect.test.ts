/**
 * The wall over live format 2 in real Chromium against the real server (simulator on): after a
 * forced disconnect it resumes from the version it held (no snapshot) and holds as many
 * entities, and as many with a position, as the server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { api, buildApp, freePort, haveChromium, launchChromium, startServer, stopServer, watch, type Started } from './harness.ts';

describe.skipIf(!haveChromium)('wall over live format 2 (real server, real Chromium)', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;
  let page: Page | undefined;

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-live-'));
    server = await startServer(await freePort(), dataDir);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the server holds, from its own API (not from the stream). */
  async function serverCounts() {
    const token = new URL(server.wallUrl).searchParams.get('token')!;
    const entities = await api<{ pos?: unknown }[]>(server, token, 'GET', '/api/entities');
    return { entities: entities.length, withPosition: entities.filter((e) => e.pos !== undefined).length };
  }
  const held = () => page!.evaluate(() => window.__cityopsLive!.held());

  it('after a forced disconnect the wall resumes and holds the same entities as the server', async () => {
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
    const problems = watch(page);
    const liveLog: string[] = [];
    page.on('console', (m) => { if (m.text().startsWith('[live]')) liveLog.push(m.text()); });
    await page.goto(server.wallUrl);
    // The live stream is the subject here, not the GL map (software GL on a busy box takes minutes to draw).
    await page.waitForFunction(() => (window.__cityopsLive?.held().withPosition ?? 0) > 0, null, { timeout: 120_000, polling: 500 });
    await expect.poll(() => page!.textContent('[data-testid="connection"]'), { timeout: 30_000, message: liveLog.join('\n') }).toMatch(/实时在线/);
    const before = await held();
    expect(before.starts).toBe(1);
    expect(before.entities).toBeGreaterThan(4500);

    await page.evaluate(() => window.__cityopsLive!.dropTransport());
    // It comes back by itself, from the version it held: a resumed start, not a whole snapshot.
    await expect.poll(async () => (await held()).starts, { timeout: 60_000 }).toBe(2);
    const after = await held();
    expect(after.resumed).toBe(1);
    await expect.poll(() => page!.textContent('[data-testid="connection"]'), { timeout: 30_000 }).toMatch(/实时在线/);

    // The simulator keeps going and the wall is up to a tick behind: poll until one reading of both sides agrees.
    await expect.poll(async () => {
      const wall = await held();
      const srv = await serverCounts();
      return wall.entities === srv.entities && wall.withPosition === srv.withPosition ? 'equal' : `wall ${wall.entities}/${wall.withPosition} ≠ server ${srv.entities}/${srv.withPosition}`;
    }, { timeout: 30_000 }).toBe('equal');
    expect(problems).toEqual([]);
  }, 300_000);
});
