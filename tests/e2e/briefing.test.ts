/**
 * The leaders' briefing in real Chromium against the real server (simulator off, so the only
 * cases are this test's): a leader made with the operator
 * CLI signs in at /login and lands on /briefing; the 13 streets' rankings show the API's
 * numbers; switching the period re-reads them; the PNG export downloads a real PNG; printing to
 * PDF on A4 gives exactly one page naming the district and the period.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { BriefingResponse } from '../../shared/schemas/briefing.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { api, buildApp, freePort, haveChromium, launchChromium, login, operatorCli, SHOTS, startServer, stopServer, watch, type Started } from './harness.ts';
import { pdfPageCount, pdfText } from './pdf-text.ts';

const LEADER = 'li.ming';
/** 井盖缺失 — an item of the Lixia taxonomy. */
const ITEM = '15.01.001';

/** What a ranking cell must read for a figure, written out here rather than taken from the client. */
const rateText = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
const squash = (s: string) => s.replace(/\s+/g, '');

describe.skipIf(!haveChromium)('leaders\' briefing (real server, real Chromium)', () => {
  let server: Started;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let leaderPassword: string;
  let leaderToken: string;
  let problems: string[];

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-briefing-'));
    const port = await freePort();
    // No simulator: its alarms open cases of their own (未诉先办), which would race the comparisons.
    server = await startServer(port, dataDir, { SIM_ENABLED: 'false' });
    const out = operatorCli(dataDir, port)('add-user', LEADER, 'leader');
    leaderPassword = /with password: (\S+)/.exec(out)?.[1] ?? '';
    expect(leaderPassword, out).not.toBe('');
    leaderToken = await login(server, LEADER, leaderPassword);
    // Cases in two streets: the desk reports three and registers two.
    const admin = await login(server, 'admin', server.adminPassword);
    const pack = await loadDistrictPack(path.resolve(import.meta.dirname, '../../data/lixia'));
    for (const gridIndex of [100, 900, 901]) {
      const ring = pack.grids.features[gridIndex]!.geometry.coordinates[0]!;
      const at = { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2 };
      const c = await api<{ id: number }>(server, admin, 'POST', '/api/cases', { source: 'roadChief', itemCode: ITEM, ...at });
      if (gridIndex !== 901) await api(server, admin, 'POST', `/api/cases/${c.id}/transitions`, { action: 'register' });
    }
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1, acceptDownloads: true });
    problems = watch(page);
  });

  afterAll(async () => {
    await page?.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The streets table as shown: code → [立案数, 应结案数, 结案率, 按期结案率, 按时派遣率, 返工率]. */
  async function streetsOnScreen(): Promise<Map<string, string[]>> {
    const rows = await page.$$eval('[data-testid="ranking-streets"] tbody tr', (trs) => trs.map((tr) => [
      tr.getAttribute('data-code') ?? '',
      [...tr.querySelectorAll('td[data-col]')].map((td) => (td.textContent ?? '').trim()),
    ] as const));
    return new Map(rows.map(([code, cells]) => [code, [...cells]]));
  }

  function expectedStreets(b: BriefingResponse): Map<string, string[]> {
    return new Map(b.streets.map((s) => [s.code, [String(s.registered), String(s.due), rateText(s.closureRate), rateText(s.onTimeClosureRate), rateText(s.onTimeDispatchRate), rateText(s.reworkRate)]]));
  }

  it('a leader signs in at /login and lands on /briefing, whose 13 streets show the API\'s figures', async () => {
    await page.goto(`${server.base}/login`);
    await page.fill('input[name="username"]', LEADER);
    await page.fill('input[name="password"]', leaderPassword);
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/briefing$/, { timeout: 30_000 });
    await page.locator('[data-testid="ranking-streets"] tbody tr').nth(12).waitFor({ timeout: 30_000 });
    const yesterday = await api<BriefingResponse>(server, leaderToken, 'GET', '/api/briefing?period=yesterday');
    const shown = await streetsOnScreen();
    expect(shown.size).toBe(13);
    expect(shown).toEqual(expectedStreets(yesterday));
    expect(squash(await page.textContent('[data-testid="briefing-period"]') ?? '')).toContain(yesterday.period.fromDate);
    await expect.poll(() => page.locator('[data-testid="party-panel"] [data-stat="branches"] b').textContent(), { timeout: 30_000 }).toBe('139');
  });

  it('switches to the last 7 days: the period, the KPIs and the rankings follow the API (this test\'s cases included)', async () => {
    const week = await api<BriefingResponse>(server, leaderToken, 'GET', '/api/briefing?period=week');
    await page.click('[data-testid="period-week"]');
    await expect.poll(async () => squash(await page.textContent('[data-testid="briefing-period"]') ?? ''), { timeout: 15_000 }).toContain(`${week.period.fromDate}—${week.period.toDate}`);
    expect(await streetsOnScreen()).toEqual(expectedStreets(week));
    expect(week.streets.reduce((a, s) => a + s.registered, 0)).toBe(2);
    expect(await page.textContent('[data-kpi="reported"] [data-testid="kpi-value"]')).toBe(String(week.kpis.find((k) => k.key === 'reported')!.value));
    // Sorted by 立案数, most first; a click on the head turns it round.
    const firstRegistered = async () => Number(await page.textContent('[data-testid="ranking-streets"] tbody tr:first-child td[data-col="registered"]'));
    expect(await firstRegistered()).toBe(Math.max(...week.streets.map((x) => x.registered)));
    await page.click('[data-testid="ranking-streets"] th[data-col="registered"]');
    expect(await firstRegistered()).toBe(0);
    expect(await page.getAttribute('[data-testid="ranking-streets"] th[data-col="closureRate"]', 'title')).toContain('结案数 ÷ 应结案数');
    await page.screenshot({ path: path.join(SHOTS, 'briefing-1920x1080.png') });
  });

  it('exports the view as a PNG', async () => {
    await page.locator('[data-testid="briefing-map"][data-ready="yes"]').waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('[data-testid="export-png"]')]);
    expect(download.suggestedFilename()).toMatch(/^briefing-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.png$/);
    const file = path.join(SHOTS, 'briefing-export.png');
    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const png = PNG.sync.read(bytes);
    expect(png.width).toBe(1920);
    expect(png.height).toBeGreaterThan(1000);
    // Not a blank sheet: many distinct colours (text, charts, map).
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 97) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(200);
  });

  it('prints one A4 page naming the district and the period', async () => {
    const week = await api<BriefingResponse>(server, leaderToken, 'GET', '/api/briefing?period=week');
    const pdf = await page.pdf({ format: 'A4' });
    writeFileSync(path.join(SHOTS, 'briefing-a4.pdf'), pdf);
    const text = squash(pdfText(pdf));
    expect(pdfPageCount(pdf)).toBe(1);
    expect(text).toContain('济南市历下区');
    expect(text).toContain(`${week.period.fromDate}—${week.period.toDate}`);
    expect(text).toContain('街道排名');
    expect(problems).toEqual([]);
  });

  it('shows cases by street × hour for the period, and replays a day: a jump to a case outlines the case\'s hour in that chart', async () => {
    const week = await api<BriefingResponse>(server, leaderToken, 'GET', '/api/briefing?period=week');
    const heat = await api<{ total: number }>(server, leaderToken, 'GET', `/api/heat/street-hour?kind=cases&from=${week.period.from}&to=${week.period.to}`);
    expect(heat.total).toBe(3);
    await expect.poll(() => page.getAttribute('[data-testid="street-hour-heatmap"]', 'data-total'), { timeout: 15_000 }).toBe('3');
    expect(await page.getAttribute('[data-testid="street-hour-heatmap"]', 'data-mark-hour')).toBe('');

    // The heat layer over the period on the map: as many cells as the API answers for the same window.
    const cells = await api<{ points: unknown[] }>(server, leaderToken, 'GET', `/api/heat?kind=cases&from=${week.period.from}&to=${week.period.to}`);
    expect(cells.points.length).toBeGreaterThan(0);
    await page.click('[data-testid="briefing-heat-cases"]');
    await expect.poll(() => page.getAttribute('[data-testid="briefing-map"]', 'data-heat-points'), { timeout: 30_000 }).toBe(String(cells.points.length));
    expect(await page.getAttribute('[data-testid="briefing-map"]', 'data-heat-layer')).toBe('heatmap');
    await page.screenshot({ path: path.join(SHOTS, 'briefing-heat-1920x1080.png') });
    await page.click('[data-testid="briefing-heat-off"]');

    await page.click('[data-testid="map-mode-replay"]');
    // The newest day of the period first: today, when this test's three cases were reported.
    expect(await page.inputValue('[data-testid="briefing-replay-day"]')).toBe(week.period.toDate);
    const caseButtons = page.locator('[data-testid="briefing-replay"] button[data-case]');
    await expect.poll(() => caseButtons.count(), { timeout: 30_000 }).toBe(3);
    const id = Number(await caseButtons.first().getAttribute('data-case'));
    const detail = await api<{ createdTs: number }>(server, leaderToken, 'GET', `/api/cases/${id}`);
    const hour = new Intl.DateTimeFormat('en-GB', { timeZone: week.timeZone, hour: '2-digit', hourCycle: 'h23' }).format(detail.createdTs);
    await caseButtons.first().click();
    await expect.poll(() => page.getAttribute('[data-testid="street-hour-heatmap"]', 'data-mark-hour'), { timeout: 30_000 }).toBe(String(Number(hour)));
    expect((await page.textContent('[data-testid="replay-clock"]'))?.trim().slice(0, 2)).toBe(hour);
    await page.screenshot({ path: path.join(SHOTS, 'briefing-replay-1920x1080.png') });
    await page.click('[data-testid="map-mode-posts"]');
    expect(problems).toEqual([]);
  });

  it('says while the simulated past is still being written, and nothing once there is none', async () => {
    // This server generates no past (simulator off): the real answer has past null and no notice shows.
    expect(await page.locator('[data-testid="past-progress"]').count()).toBe(0);
    // A first start still writing positions, as /api/past says it (the real answer with its past field set).
    const real = await (await fetch(`${server.base}/api/past`, { headers: { authorization: `Bearer ${leaderToken}` } })).json() as Record<string, unknown>;
    expect(real['past']).toBeNull();
    const other = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    try {
      await other.route('**/api/past', (route) => route.fulfill({ json: { ...real, past: {
        phase: 'positions', days: 30, fromTs: 0, toTs: 1, cases: 16_162, alarms: 87_931, casesDone: 1, positionsDone: 0.427, positionsUntil: null,
      } } }));
      await other.goto(`${server.base}/login?redirect=/briefing`);
      await other.fill('input[name="username"]', LEADER);
      await other.fill('input[name="password"]', leaderPassword);
      await other.click('button[type="submit"]');
      await other.waitForURL(/\/briefing$/, { timeout: 30_000 });
      const notice = other.locator('[data-testid="past-progress"]');
      await notice.waitFor({ timeout: 30_000 });
      expect(await notice.getAttribute('data-phase')).toBe('positions');
      expect(await notice.textContent()).toBe('正在生成近 30 天的模拟历史：案件与告警已完成，人车轨迹 42%（完成前热力与回放不完整）');
    } finally {
      await other.close();
    }
  });

  it('is for leaders and admins: a dispatcher asking for it is sent to the wall', async () => {
    const out = operatorCli(dataDir, Number(new URL(server.base).port))('add-user', 'wang.fang', 'dispatcher');
    const password = /with password: (\S+)/.exec(out)?.[1] ?? '';
    const other = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await other.goto(`${server.base}/login?redirect=/briefing`);
      await other.fill('input[name="username"]', 'wang.fang');
      await other.fill('input[name="password"]', password);
      await other.click('button[type="submit"]');
      await other.waitForURL(/\/wall$/, { timeout: 30_000 });
      expect(await other.locator('[data-testid="briefing"]').count()).toBe(0);
    } finally {
      await other.close();
    }
  });
});
