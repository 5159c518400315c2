/**
 * The device page in real Chromium against the real server (the bundle `npm start` runs): a
 * JT/T 808 terminal the district does not know connects over TCP (the emulator, a real client of
 * the protocol) and registers; under JT808_REGISTRATION=quarantine it waits on /admin/devices;
 * the admin accepts it there; the terminal registers again, authenticates and reports; a wall
 * that was open all along draws the new vehicle where the terminal is — without a reload — and
 * the device page says a real device drives it, and a text sent from it reaches the terminal,
 * which answers. No console error, nothing off the machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { DeviceList } from '../../shared/schemas/devices.ts';
import { EmulatedFleet, DEFAULT_FLEET } from '../../scripts/jt808/fleet.ts';
import { loadRoadGraph } from '../../scripts/jt808/road-walk.ts';
import { api, buildApp, freePort, haveChromium, launchChromium, login, ROOT, SHOTS, startServer, stopServer, waitForWall, watch, type Started } from './harness.ts';

/** A plate no pack vehicle has: accepting the terminal makes a new vehicle. */
const PLATE = '鲁A·E2E08';
const PHONE_BASE = 13988880000;

/** Every entity of the pack: the new vehicle takes the next catalog index. */
function packEntityCount(): number {
  const count = (file: string) => (JSON.parse(readFileSync(path.join(ROOT, 'data/lixia', file), 'utf8')) as unknown[]).length;
  return ['staff.json', 'vehicles.json', 'muck-trucks.json', 'toilets.json', 'bins.json'].reduce((n, f) => n + count(f), 0);
}

describe.skipIf(!haveChromium)('device page: an admin accepts a quarantined JT/T 808 terminal and the wall shows it (real server, real TCP, real Chromium)', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;
  let jt808Port: number;
  let fleet: EmulatedFleet | undefined;
  let adminToken: string;
  const pages: Page[] = [];

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-devices-'));
    const port = await freePort();
    jt808Port = await freePort();
    server = await startServer(port, dataDir, { JT808_PORT: String(jt808Port), JT808_REGISTRATION: 'quarantine', SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0' });
    adminToken = await login(server, 'admin', server.adminPassword);
    browser = await launchChromium();
  });

  afterAll(async () => {
    fleet?.stop();
    for (const p of pages) await p.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('accepts the waiting terminal on /admin/devices; the open wall draws the new vehicle at the terminal\'s position', async () => {
    const newIndex = packEntityCount();
    // The wall first, open through everything that follows: it must learn of the vehicle live.
    const wall = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    pages.push(wall);
    const wallProblems = watch(wall);
    await wall.goto(server.wallUrl);
    await waitForWall(wall);
    expect(await wall.evaluate((i) => window.__cityops!.reportedPosition(i), newIndex)).toBeNull();

    // A terminal the district does not know registers over TCP and is told to wait.
    fleet = new EmulatedFleet({ ...DEFAULT_FLEET, port: jt808Port, terminals: 1, phoneBase: PHONE_BASE, plates: [PLATE], intervalS: 1, retryS: 1, speedKph: 30, seed: 8 }, loadRoadGraph(path.join(ROOT, 'data/lixia/road-graph.json')));
    fleet.start();
    const phone = fleet.view(0).phone;
    await expect.poll(async () => (await api<DeviceList>(server, adminToken, 'GET', '/api/devices?state=quarantined')).items.map((d) => d.deviceId), { timeout: 20_000 }).toContain(phone);

    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    pages.push(page);
    const problems = watch(page);
    await page.goto(`${server.base}/admin/devices`);
    await page.waitForURL(/\/login/, { timeout: 30_000 });
    await page.fill('input[name="username"]', 'admin');
    await page.fill('input[name="password"]', server.adminPassword);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/admin\/devices/, { timeout: 30_000 });
    const waiting = page.locator(`[data-testid="quarantine"] [data-device="${phone}"]`);
    await waiting.waitFor({ timeout: 20_000 });
    expect(await waiting.textContent()).toContain(PLATE);
    await page.screenshot({ path: path.join(SHOTS, 'devices-quarantine.png') });
    await waiting.locator('[data-action="accept"]').click();
    await waiting.waitFor({ state: 'detached', timeout: 20_000 });

    // The terminal registers again, gets its auth code, authenticates and reports every second.
    await expect.poll(() => fleet!.view(0).state, { timeout: 20_000 }).toBe('reporting');
    await expect.poll(() => fleet!.view(0).acked, { timeout: 20_000 }).toBeGreaterThan(1);

    // The wall, never reloaded, has the new vehicle where the terminal says it is.
    await wall.waitForFunction((i) => window.__cityops?.reportedPosition(i) != null, newIndex, { timeout: 30_000, polling: 500 });
    const drawnAt = await wall.evaluate((i) => window.__cityops!.reportedPosition(i)!, newIndex);
    const t = fleet.view(0);
    // Within ~2 reports of travel at 30 km/h (the emulator's position is the last one sent or about to be).
    expect(Math.abs(drawnAt[0] - t.lon)).toBeLessThan(0.0005);
    expect(Math.abs(drawnAt[1] - t.lat)).toBeLessThan(0.0005);
    expect(await wall.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);

    // The device page says it is real, connected, and bound to its own new vehicle.
    await page.fill('[data-testid="filter-q"]', phone);
    await page.press('[data-testid="filter-q"]', 'Enter');
    const row = page.locator(`[data-testid="device-table"] tr[data-device="${phone}"]`);
    await expect.poll(async () => (await row.locator('[data-col="driven"]').textContent())?.trim(), { timeout: 20_000 }).toMatch(/真实|Real/);
    expect(await row.locator('[data-col="entity"]').textContent()).toContain(PLATE);
    // A text to the driver: the terminal shows it and answers 0x0001 ok.
    const TEXT = '请到泉城广场东侧清运';
    await row.locator('[data-action="text"]').click();
    const panel = page.locator('[data-testid="terminal-messages"]');
    await panel.locator('input').fill(TEXT);
    await panel.locator('button[type="submit"]').click();
    await expect.poll(() => fleet!.view(0).texts, { timeout: 20_000 }).toContain(TEXT);
    await expect.poll(async () => {
      await panel.getByRole('button', { name: /刷新|Refresh/ }).click();
      return panel.locator('li b').first().getAttribute('data-status');
    }, { timeout: 20_000, interval: 1000 }).toBe('answered');
    // …said in the page's language.
    expect((await panel.locator('li b').first().textContent())?.trim()).toBe('已应答');

    const device = (await api<DeviceList>(server, adminToken, 'GET', `/api/devices?q=${phone}`)).items[0]!;
    expect(device).toMatchObject({ protocol: 'jt808', state: 'active', entityId: `rt-jt808-${phone}`, entityKind: 'vehicle', real: true, drives: true, connected: true });
    expect(device.accepted).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'devices-accepted.png') });
    await wall.screenshot({ path: path.join(SHOTS, 'devices-wall.png') });
    expect(problems).toEqual([]);
    expect(wallProblems).toEqual([]);
  });
});
