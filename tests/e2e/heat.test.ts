/**
 * The wall's heat layer in real Chromium against the real server (simulator on): switched on
 * from its toggle, it adds a maplibre `heatmap` layer fed from /api/heat, the map's pixels
 * change where it draws, other kinds and windows load, switching it off hides it — and no
 * console error on the way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { buildApp, freePort, haveChromium, launchChromium, SHOTS, startServer, stopServer, waitForWall, watch, type Started } from './harness.ts';

/** Share of sampled canvas pixels that differ between two PNG screenshots of the map. */
async function changedShare(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(async ([x, y]) => {
    const load = async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      return ctx.getImageData(0, 0, c.width, c.height).data;
    };
    const [da, db] = [await load(x!), await load(y!)];
    let n = 0;
    let changed = 0;
    for (let k = 0; k < Math.min(da.length, db.length); k += 4 * 5) {
      n++;
      if (Math.abs(da[k]! - db[k]!) + Math.abs(da[k + 1]! - db[k + 1]!) + Math.abs(da[k + 2]! - db[k + 2]!) > 40) changed++;
    }
    return changed / n;
  }, [a.toString('base64'), b.toString('base64')]);
}

describe.skipIf(!haveChromium)('wall heat layer (real server, real Chromium)', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-heat-'));
    // A busy simulated morning, so the district has files and units moving when the wall opens.
    server = await startServer(await freePort(), dataDir, { SIM_START_TIME: '09:00', HISTORY_FLUSH_S: '1' });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('draws a heatmap layer from the toggle, for units, cases and alarms, and hides it again', async () => {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
    const problems = watch(page);
    await page.goto(server.wallUrl);
    await waitForWall(page);
    const toggle = page.locator('[data-testid="heat-toggle"]');
    expect(await toggle.getAttribute('data-enabled')).toBe('false');
    expect(await toggle.getAttribute('data-layer'), 'no layer until switched on').toBe('');

    // Where units spent the last 24 h: the simulated crews have been reporting since the server started.
    const heatAnswer = page.waitForResponse((r) => r.url().includes('/api/heat?kind=cases') && r.status() === 200);
    await page.click('[data-testid="heat-switch"]');
    await heatAnswer;
    expect(await toggle.getAttribute('data-layer'), 'maplibre map.getLayer(heat-layer).type').toBe('heatmap');
    // Freeze the live layers' motion out of the comparison: hide every kind, then compare the heat off and on.
    for (const kind of ['staff', 'vehicle', 'muckTruck', 'toilet', 'bin']) await page.click(`[data-testid="layer-toggle"][data-kind="${kind}"]`);
    const unitsAnswer = page.waitForResponse((r) => r.url().includes('/api/heat?kind=units') && r.status() === 200);
    await page.click('[data-testid="heat-kind"][data-kind="units"]');
    const units = await (await unitsAnswer).json() as { points: unknown[]; unit: string };
    expect(units.unit).toBe('seconds');
    expect(units.points.length, 'cells where units spent time').toBeGreaterThan(50);
    await expect.poll(() => toggle.getAttribute('data-points'), { timeout: 10_000 }).toBe(String(units.points.length));
    await page.waitForTimeout(1500); // the GL frame after setData
    const canvas = page.locator('canvas.maplibregl-canvas');
    const on = await canvas.screenshot();
    await page.screenshot({ path: path.join(SHOTS, 'wall-heat-units-1920x1080.png') });
    await page.click('[data-testid="heat-switch"]');
    await page.waitForTimeout(1500);
    const off = await canvas.screenshot();
    expect(await toggle.getAttribute('data-enabled')).toBe('false');
    expect(await changedShare(page, on, off), 'the heat layer visibly colours the map').toBeGreaterThan(0.02);

    // Alarms over the last 7 days load too; the layer is the same one, visible again.
    await page.click('[data-testid="heat-switch"]');
    const alarmsAnswer = page.waitForResponse((r) => r.url().includes('/api/heat?kind=alarms') && r.status() === 200);
    await page.click('[data-testid="heat-kind"][data-kind="alarms"]');
    await alarmsAnswer;
    const weekAnswer = page.waitForResponse((r) => r.url().includes('/api/heat?kind=alarms') && r.status() === 200);
    await page.click('[data-testid="heat-window"][data-window="week"]');
    const week = new URL((await weekAnswer).url());
    expect(Number(week.searchParams.get('to')) - Number(week.searchParams.get('from'))).toBe(7 * 86_400_000);
    expect(await toggle.getAttribute('data-layer')).toBe('heatmap');
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
