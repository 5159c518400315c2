/**
 * /replay in real Chromium against the real server: the data dir holds the last hour of the
 * whole district's history (written by the real simulator and history writer before the
 * server starts); a leader signs in, the last hour loads, plays at 3600× and the markers
 * move on the map; no console error, no request off the machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { fillHistory } from '../fixtures/history-fill.ts';
import { api, buildApp, freePort, login, haveChromium, launchChromium, operatorCli, SHOTS, startServer, stopServer, watch, type Started } from './harness.ts';

const LEADER = 'leader-wang';

describe.skipIf(!haveChromium)('replay (real server, real Chromium)', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;
  let leaderPassword = '';
  let page: Page | undefined;

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-replay-'));
    // The last hour of the district, as a server running through it would have written it (5 s simulator steps: quicker, same kind of tracks).
    // The world's clock is pinned to 14:00–15:00 local, when every fleet works: at night most vehicles are parked and nothing would move.
    const now = Date.now();
    await fillHistory({ dataDir, pack: await loadDistrictPack('data/lixia'), from: now - 3_600_000, to: now - 5000, stepMs: 5000, startMinuteOfDay: 14 * 60 });
    const port = await freePort();
    // No generated past (SIM_HISTORY_DAYS, issue 7 part 3): this test brings its own hour.
    server = await startServer(port, dataDir, { SIM_REPORTS_PER_DAY: '0', SIM_HISTORY_DAYS: '0', SIM_START_TIME: '15:00' });
    const out = operatorCli(dataDir, port)('add-user', LEADER, 'leader');
    leaderPassword = /with password: (\S+)/.exec(out)?.[1] ?? '';
    expect(leaderPassword, out).not.toBe('');
    // A case at the end of the hour (a road chief's report on 经十路 now), so that there is one to jump to whatever the simulator raises.
    const admin = await login(server, 'admin', server.adminPassword);
    await api(server, admin, 'POST', '/api/cases', { source: 'roadChief', itemCode: '15.01.001', lon: 117.091559, lat: 36.655588 });
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a leader plays the last hour at 3600× and the markers move (1920×1080)', async () => {
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
    const problems = watch(page);
    await page.goto(`${server.base}/replay`);
    await page.waitForURL(/\/login/, { timeout: 30_000 });
    await page.fill('input[name="username"]', LEADER);
    await page.fill('input[name="password"]', leaderPassword);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/replay/, { timeout: 30_000 });
    await page.locator('[data-testid="replay-bar"]').waitFor({ timeout: 30_000 });

    // The map is up and the stream has arrived: the whole fleet drawn from the replay's own buffer.
    await page.waitForFunction(() => {
      const counts = window.__cityopsReplay?.renderedCounts();
      return !!counts && counts.vehicle > 0 && counts.staff > 0 && counts.bin > 0;
    }, null, { timeout: 90_000, polling: 500 });
    await expect.poll(() => page!.evaluate(() => document.querySelector('[data-testid="replay-bar"] .buffering') === null), { timeout: 60_000 }).toBe(true);

    // At the start of the window: 3600×, play.
    const from = await page.evaluate(() => window.__cityopsReplay!.time());
    await page.selectOption('[data-testid="replay-speed"]', '3600');
    const clockBefore = await page.textContent('[data-testid="replay-clock"]');
    const before = await page.evaluate(() => window.__cityopsReplay!.positions('vehicle'));
    expect(before.length).toBeGreaterThan(50);
    await page.click('[data-testid="replay-play"]');
    // Software GL on a shared 2-core box draws a frame in a second or more; each tick counts at most 0.25 s (15 replayed minutes).
    await expect.poll(() => page!.evaluate(() => window.__cityopsReplay!.time()), { timeout: 60_000, interval: 100 }).toBeGreaterThan(from + 5 * 60_000);
    const during = await page.evaluate(() => ({ t: window.__cityopsReplay!.time(), pos: window.__cityopsReplay!.positions('vehicle') }));
    const was = new Map(before.map(([i, lon, lat]) => [i, `${lon},${lat}`]));
    const moved = during.pos.filter(([i, lon, lat]) => was.has(i) && was.get(i) !== `${lon},${lat}`).length;
    expect(moved, 'vehicles that moved on the map').toBeGreaterThan(20);
    expect(await page.evaluate(() => window.__cityopsReplay!.renderedCounts().vehicle)).toBeGreaterThan(50);
    await expect.poll(() => page!.textContent('[data-testid="replay-clock"]')).not.toBe(clockBefore);

    // It plays to the end of the window and stops there.
    await expect.poll(() => page!.evaluate(() => document.querySelector('[data-testid="replay-play"]')?.textContent), { timeout: 90_000 }).toBe('▶');
    const end = await page.evaluate(() => window.__cityopsReplay!.time());
    expect(end - from).toBeGreaterThan(55 * 60_000);

    // Seeking with the slider jumps back to a moment of the hour.
    await page.evaluate((t) => {
      const el = document.querySelector<HTMLInputElement>('[data-testid="replay-slider"]')!;
      el.value = String(t);
      el.dispatchEvent(new Event('input'));
    }, from + 30 * 60_000);
    const seeked = await page.evaluate(() => window.__cityopsReplay!.time());
    expect(Math.abs(seeked - (from + 30 * 60_000))).toBeLessThanOrEqual(1000);

    await page.screenshot({ path: path.join(SHOTS, 'replay-1920x1080.png') });

    // Jump to a case of the window: its own window loads, at its report, with its marker on the map.
    const first = page.locator('[data-testid="replay-cases"] button.case').first();
    await first.waitFor({ timeout: 30_000 });
    const caseId = Number(await first.getAttribute('data-case'));
    await first.click();
    await expect.poll(() => page!.evaluate(() => window.__cityopsReplay!.shownCases()), { timeout: 60_000 }).toContain(caseId);
    // …and the fleet as it was then (the window's keyframe, then the deltas up to the report).
    await expect.poll(() => page!.evaluate(() => window.__cityopsReplay!.positions('vehicle').length), { timeout: 60_000 }).toBeGreaterThan(50);
    await expect.poll(() => page!.evaluate(() => window.__cityopsReplay!.renderedCounts().vehicle), { timeout: 60_000 }).toBeGreaterThan(50);
    const windowFrom = await page.evaluate(() => window.__cityopsReplay!.time());
    expect(windowFrom).toBeGreaterThan(from + 55 * 60_000 - 5 * 60_000); // the case is from this server's start, at the end of the hour
    await page.screenshot({ path: path.join(SHOTS, 'replay-case-1920x1080.png') });
    expect(problems).toEqual([]);
  }, 240_000);
});
