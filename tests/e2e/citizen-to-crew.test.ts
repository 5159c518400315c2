/**
 * The brief's chain end to end, on phones and the desk, in real Chromium against the real
 * server: a citizen on 经十路 files a missing manhole cover with a photo on /report (390×844);
 * the duty officer registers it and sends the nearest unit; that unit's crew, signed in on
 * /field (390×844), accepts, sets off, and reports it done with an after-photo and a note; the
 * duty officer's /console timeline shows the citizen's report and every crew step by name; and
 * the citizen's status page /report/{id} shows it handled, with the crew's after-photo.
 *
 * The simulator runs at SIM_SPEED 0.02 with no duty officer and no reports of its own, so every
 * step on this case is a person's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CaseDetail, CaseSummary } from '../../shared/cases.ts';
import type { UnitRecommendation } from '../../shared/dispatch.ts';
import { api, buildApp, freePort, haveChromium, launchChromium, login, operatorCli, ROOT, SHOTS, startServer, stopServer, watch, type Started } from './harness.ts';

const CREW = 'crew.liming';
const DISPATCHER = 'disp.sun';
/** A vertex of 经十路 in 姚家街道 (as tests/e2e/field.test.ts). */
const ON_JINGSHI_ROAD = { lon: 117.091559, lat: 36.655588 };
const CITIZEN_PHOTO = path.join(ROOT, 'tests/fixtures/photos/pothole-2400x1800.jpg');
const AFTER_PHOTO = path.join(ROOT, 'tests/fixtures/after-photo.jpg');
const DESCRIPTION = '经十路南侧人行道井盖不见了，晚上很危险。';
const NOTE = '已安装新井盖并设置警示';
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' } as const;

describe.skipIf(!haveChromium)('from a citizen\'s photo to a crew\'s after-photo, seen by the duty officer and the citizen', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;
  let port: number;
  let citizen: BrowserContext;
  let citizenPage: Page;
  let crew: BrowserContext;
  let crewPage: Page;
  const problems: string[][] = [];
  let dispToken = '';
  let dispatcherPassword = '';
  let requestId = '';
  let caseId = 0;

  const cli = (...args: string[]) => operatorCli(dataDir, port)(...args);

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-chain-'));
    port = await freePort();
    server = await startServer(port, dataDir, { SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0', SIM_SPEED: '0.02' });
    dispatcherPassword = /with password: (\S+)/.exec(cli('add-user', DISPATCHER, 'dispatcher'))?.[1] ?? '';
    expect(dispatcherPassword).not.toBe('');
    dispToken = await login(server, DISPATCHER, dispatcherPassword);
    browser = await launchChromium();
    citizen = await browser.newContext({ ...PHONE, geolocation: { longitude: ON_JINGSHI_ROAD.lon, latitude: ON_JINGSHI_ROAD.lat, accuracy: 10 }, permissions: ['geolocation'] });
    citizenPage = await citizen.newPage();
    problems.push(watch(citizenPage));
  }, 180_000);

  afterAll(async () => {
    await citizen?.close().catch(() => undefined);
    await crew?.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a citizen files the report with a photo and gets its number', async () => {
    const page = citizenPage;
    await page.goto(`${server.base}/report`);
    await page.waitForSelector('[data-testid=report-map] canvas', { timeout: 60_000 });
    await expect.poll(() => page.textContent('[data-testid=pin-place]'), { timeout: 20_000 }).toMatch(/街道/);
    await page.setInputFiles('[data-testid=photo-album]', CITIZEN_PHOTO);
    await page.waitForSelector('[data-testid=photo-preview]', { timeout: 20_000 });
    await page.fill('[data-testid=category-search]', '井盖缺失');
    await page.click('[data-testid=category-option]:has-text("井盖缺失或破损")');
    const def = (await (await fetch(`${server.base}/open311/v2/services/15.01.001.json`)).json()) as { attributes: { code: string; required: boolean; variable: boolean; values?: { key: string }[] }[] };
    for (const a of def.attributes.filter((x) => x.variable && x.required)) {
      await page.waitForSelector(`[data-testid="attr-${a.code}"]`);
      await page.selectOption(`[data-testid="attr-${a.code}"]`, a.values![0]!.key);
    }
    await page.fill('[data-testid=description]', DESCRIPTION);
    await page.click('[data-testid=send]');
    await page.waitForSelector('[data-testid=report-sent]', { timeout: 60_000 });
    requestId = ((await page.textContent('[data-testid=request-number]')) ?? '').trim();
    expect(requestId).toMatch(/^LX-\d{8}-\d{4}$/);
    await page.screenshot({ path: path.join(SHOTS, 'chain-1-citizen-sent-390x844.png') });

    // The case on the desk: the citizen's words and photo, from the 随手拍 channel.
    const found = await api<CaseSummary[]>(server, dispToken, 'GET', `/api/cases?q=${encodeURIComponent(requestId)}`);
    expect(found).toHaveLength(1);
    caseId = found[0]!.id;
    const c = await api<CaseDetail>(server, dispToken, 'GET', `/api/cases/${caseId}`);
    expect(c).toMatchObject({ code: requestId, source: 'citizenPhoto', stage: 'reported', description: DESCRIPTION });
    expect(c.photos.map((p) => p.phase)).toEqual(['before']);
  });

  it('the duty officer registers it and sends the nearest unit, whose crew signs in on /field', async () => {
    const registered = await api<CaseDetail>(server, dispToken, 'POST', `/api/cases/${caseId}/transitions`, { action: 'register' });
    expect(registered.stage).toBe('registered');
    const recs = await api<{ units: UnitRecommendation[] }>(server, dispToken, 'GET', `/api/cases/${caseId}/recommendations`);
    const unit = recs.units[0]!;
    expect(unit, 'a unit to send').toBeDefined();
    const crewPassword = /with password: (\S+)/.exec(cli('add-user', CREW, 'field', '--unit', unit.entityId))?.[1] ?? '';
    expect(crewPassword).not.toBe('');
    expect((await api<CaseDetail>(server, dispToken, 'POST', `/api/cases/${caseId}/dispatch`, { unitId: unit.entityId })).stage).toBe('dispatched');

    crew = await browser.newContext(PHONE);
    crewPage = await crew.newPage();
    problems.push(watch(crewPage));
    await crewPage.goto(`${server.base}/login`);
    await crewPage.fill('input[name="username"]', CREW);
    await crewPage.fill('input[name="password"]', crewPassword);
    await crewPage.click('button[type="submit"]');
    await crewPage.waitForURL(/\/field$/, { timeout: 30_000 });
    await crewPage.locator(`[data-testid="field-task"][data-case="${caseId}"]`).waitFor({ timeout: 30_000 });
    expect(await crewPage.textContent('[data-testid="field-title"]')).toContain('井盖缺失或破损');
  });

  it('the crew accepts, sets off and reports it done with an after-photo and a note', async () => {
    const page = crewPage;
    await page.click('[data-testid="field-accept"]');
    await page.locator('[data-testid="field-enroute"]').waitFor({ timeout: 15_000 });
    await page.click('[data-testid="field-enroute"]');
    await expect.poll(async () => (await api<CaseDetail>(server, dispToken, 'GET', `/api/cases/${caseId}`)).timeline.map((e) => e.action), { timeout: 20_000 })
      .toEqual(expect.arrayContaining(['accept', 'enRoute']));
    await page.locator('[data-testid="field-done"]').waitFor({ timeout: 15_000 });
    await page.click('[data-testid="field-done"]');
    await page.locator('[data-testid="done-sheet"]').waitFor();
    await page.setInputFiles('[data-testid="photo-gallery"]', AFTER_PHOTO);
    await page.locator('[data-testid="done-thumb"]').first().waitFor({ timeout: 15_000 });
    await page.fill('[data-testid="done-note"]', NOTE);
    await page.screenshot({ path: path.join(SHOTS, 'chain-2-crew-done-390x844.png') });
    await page.click('[data-testid="done-submit"]');
    await page.locator('[data-testid="done-sheet"]').waitFor({ state: 'detached' });
    await expect.poll(async () => (await api<CaseDetail>(server, dispToken, 'GET', `/api/cases/${caseId}`)).stage, { timeout: 30_000 }).toBe('fedBack');
  });

  it('the duty officer\'s timeline shows the citizen\'s report and each crew step by name', async () => {
    const desk = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
    try {
      const page = await desk.newPage();
      const deskProblems = watch(page);
      await page.goto(`${server.base}/login`);
      await page.fill('input[name="username"]', DISPATCHER);
      await page.fill('input[name="password"]', dispatcherPassword);
      await page.click('button[type="submit"]');
      await page.waitForURL(/\/(console|wall)/, { timeout: 30_000 });
      await page.goto(`${server.base}/console`);
      const row = page.locator(`[data-testid="queue-row"][data-case="${caseId}"]`);
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      const detail = page.locator(`[data-testid="case-detail"][data-case="${caseId}"]`);
      await detail.waitFor({ timeout: 30_000 });
      const timeline = page.locator('[data-testid="timeline"] li');
      await expect.poll(() => timeline.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(6);
      const lines = await timeline.allTextContents();
      expect(lines.some((l) => l.includes('上报') && l.includes('随手拍')), `the citizen's report in ${JSON.stringify(lines)}`).toBe(true);
      for (const step of ['接单', '出发', '处置反馈']) {
        expect(lines.some((l) => l.includes(step) && l.includes(CREW)), `${step} by ${CREW} in ${JSON.stringify(lines)}`).toBe(true);
      }
      expect(lines.some((l) => l.includes(NOTE))).toBe(true);
      const captions = await detail.locator('.photos figcaption').allTextContents();
      expect(captions.map((x) => x.trim())).toEqual(expect.arrayContaining([expect.stringContaining('处置前'), expect.stringContaining('处置后')]));
      // The contact the citizen left is shown only when asked (the read is audited); the page asks for none.
      await page.click('[data-testid="reporter-show"]');
      await expect.poll(() => page.textContent('[data-testid="reporter-contact"]'), { timeout: 10_000 }).toContain('市民未留联系方式（随手拍 report page）');
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(SHOTS, 'chain-3-console-timeline-1920x1080.png'), timeout: 60_000 });
      expect(deskProblems).toEqual([]);
    } finally {
      await desk.close();
    }
  });

  it('the citizen\'s status page shows it handled, with the crew\'s after-photo', async () => {
    const page = citizenPage;
    await page.goto(`${server.base}/report/${encodeURIComponent(requestId)}`);
    await page.waitForSelector('[data-testid=progress-steps]', { timeout: 30_000 });
    const states = await page.$$eval('[data-testid=progress-steps] li', (lis) => Object.fromEntries(lis.map((li) => [li.getAttribute('data-step'), li.getAttribute('data-state')])));
    expect(states).toMatchObject({ received: 'done', registered: 'done', dispatched: 'done', handling: 'done', handled: 'done' });
    const after = page.locator('[data-testid=after-photo]');
    await after.first().waitFor({ timeout: 15_000 });
    await expect.poll(() => after.first().evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);
    // the public page names no person
    expect(await page.textContent('body')).not.toContain(CREW);
    await after.first().scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);
    await page.screenshot({ path: path.join(SHOTS, 'chain-4-citizen-handled-390x844.png') });
    for (const p of problems) expect(p).toEqual([]);
  });
});
