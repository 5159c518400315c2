/**
 * The field crew's phone page in real Chromium at 390×844 (deviceScaleFactor 2) against the
 * real server: a crew user made with the operator CLI for a unit, a case dispatched to that
 * unit over the API, the crew signs in (landing on /field even from a /console link), sees the
 * task with its countdown and map, accepts, taps "on my way" while offline (the banner says it
 * waits; back online it lands once), reports done with an after-photo from a real JPEG and a
 * note. Then a dispatcher opens the case on /console: the timeline names the crew for each step
 * and shows the after-photo.
 *
 * The simulator runs at SIM_SPEED 0.02, so its own crew for the unit (sim/crews.ts) would take
 * 1000 s or more to accept: the steps in this test are the person's alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { CaseDetail } from '../../shared/cases.ts';
import type { UnitRecommendation } from '../../shared/dispatch.ts';
import { api, buildApp, countdownSeconds, freePort, haveChromium, launchChromium, login, operatorCli, ROOT, SHOTS, startServer, stopServer, watch, type Started } from './harness.ts';

const CREW = 'crew.wangfang';
const DISPATCHER = 'disp.zhao';
/** 井盖缺失或破损 — an emergency item of the Lixia taxonomy. */
const MISSING_MANHOLE_COVER = '15.01.001';
/** A vertex of 经十路 in 姚家街道 (as tests/e2e/console.test.ts). */
const ON_JINGSHI_ROAD = { lon: 117.091559, lat: 36.655588 };
const PHOTO = path.join(ROOT, 'tests/fixtures/after-photo.jpg');
const NOTE = '井盖已更换，周边已清理';

describe.skipIf(!haveChromium)('the field crew\'s phone page (real server, real Chromium, 390×844)', () => {
  let server: Started;
  let browser: Browser;
  let phone: BrowserContext;
  let page: Page;
  let problems: string[];
  let dataDir: string;
  let port: number;
  let adminToken: string;
  let dispToken: string;
  let dispatcherPassword: string;
  let crewPassword: string;
  let caseId: number;
  let unit: UnitRecommendation;

  const cli = (...args: string[]) => operatorCli(dataDir, port)(...args);
  const caseNow = () => api<CaseDetail>(server, dispToken, 'GET', `/api/cases/${caseId}`);
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `field-${name}.png`), fullPage: false, timeout: 60_000 });

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-field-'));
    port = await freePort();
    server = await startServer(port, dataDir, { SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0', SIM_SPEED: '0.02' });
    adminToken = await login(server, 'admin', server.adminPassword);
    dispatcherPassword = /with password: (\S+)/.exec(cli('add-user', DISPATCHER, 'dispatcher'))?.[1] ?? '';
    expect(dispatcherPassword).not.toBe('');
    dispToken = await login(server, DISPATCHER, dispatcherPassword);

    // An emergency on 经十路; the top recommended unit gets a crew login, then the case.
    const reported = await api<CaseDetail>(server, adminToken, 'POST', '/api/cases', {
      source: 'roadChief', itemCode: MISSING_MANHOLE_COVER, ...ON_JINGSHI_ROAD, address: '经十路与历山路口东50米', register: true,
    });
    caseId = reported.id;
    const recs = await api<{ units: UnitRecommendation[] }>(server, dispToken, 'GET', `/api/cases/${caseId}/recommendations`);
    unit = recs.units[0]!;
    expect(unit, 'a unit to send').toBeDefined();
    const out = cli('add-user', CREW, 'field', '--unit', unit.entityId);
    expect(out).toMatch(new RegExp(`^Created field ${CREW} for unit ${unit.entityId} with password: \\S+\\n$`));
    crewPassword = /with password: (\S+)/.exec(out)![1]!;
    const dispatched = await api<CaseDetail>(server, dispToken, 'POST', `/api/cases/${caseId}/dispatch`, { unitId: unit.entityId });
    expect(dispatched.stage).toBe('dispatched');

    browser = await launchChromium();
    phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    page = await phone.newPage();
    problems = watch(page);
  }, 180_000);

  afterAll(async () => {
    await phone?.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('signs in from a /console link and lands on /field with the task, its countdown and map', async () => {
    await page.goto(`${server.base}/console`);
    await page.waitForURL(/\/login/, { timeout: 30_000 });
    await page.fill('input[name="username"]', CREW);
    await page.fill('input[name="password"]', crewPassword);
    await shot('login');
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/field$/, { timeout: 30_000 });

    const task = page.locator(`[data-testid="field-task"][data-case="${caseId}"]`);
    await task.waitFor({ timeout: 30_000 });
    expect(await page.textContent('[data-testid="field-title"]')).toContain('井盖缺失或破损');
    expect(await page.textContent('[data-testid="field-address"]')).toContain('经十路与历山路口东50米');
    expect(await page.textContent('[data-testid="field-emergency"]')).toContain('紧急');
    expect(await page.textContent('[data-testid="field-unit-name"]')).toBe(unit.name);
    // the 7-minute arrival clock from dispatch, ticking down
    const deadline = page.locator('[data-testid="field-deadline"]');
    await deadline.waitFor({ timeout: 15_000 });
    expect(await deadline.getAttribute('data-kind')).toBe('arrival');
    const first = countdownSeconds((await page.textContent('[data-testid="field-countdown"]')) ?? '');
    expect(first).toBeLessThanOrEqual(7 * 60);
    expect(first).toBeGreaterThan(7 * 60 - 120);
    await expect.poll(async () => countdownSeconds((await page.textContent('[data-testid="field-countdown"]')) ?? ''), { timeout: 5000, interval: 300 }).toBeLessThan(first);

    // a crew opening the desk's or the wall's page is sent back to its own
    await page.goto(`${server.base}/wall`);
    await page.waitForURL(/\/field$/, { timeout: 30_000 });
    await task.waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="field-map"][data-ready="true"]').waitFor({ timeout: 90_000 });
    await page.waitForTimeout(1500);
    await shot('task');
  }, 240_000);

  it('accepts: the server has it, by the person', async () => {
    await page.click('[data-testid="field-accept"]');
    await expect.poll(async () => (await caseNow()).stage, { timeout: 20_000 }).toBe('handling');
    const accept = (await caseNow()).timeline.filter((e) => e.action === 'accept');
    expect(accept).toEqual([expect.objectContaining({ actor: CREW, actorRole: 'field' })]);
    await page.locator('[data-testid="field-enroute"]').waitFor({ timeout: 15_000 });
  }, 60_000);

  it('taps "on my way" offline: the banner says it waits, and back online it lands once', async () => {
    await phone.setOffline(true);
    await page.click('[data-testid="field-enroute"]');
    const banner = page.locator('[data-testid="outbox-banner"]');
    await expect.poll(() => banner.textContent(), { timeout: 15_000 }).toBe('离线：1 个操作待发送，将自动重试');
    expect(await page.textContent('[data-testid="field-progress"]')).toContain('待发送');
    await shot('offline');
    expect((await caseNow()).timeline.filter((e) => e.action === 'enRoute')).toEqual([]);
    // the outbox is in the phone's storage while it waits
    const stored = await page.evaluate((k) => localStorage.getItem(k), `cityops.field.outbox.${CREW}`);
    expect(JSON.parse(stored!).items.map((i: { action: { kind: string } }) => i.action.kind)).toEqual(['enRoute']);

    await phone.setOffline(false);
    await expect.poll(async () => (await caseNow()).timeline.filter((e) => e.action === 'enRoute').length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => banner.getAttribute('data-state'), { timeout: 15_000 }).toBe('sent');
    expect((await caseNow()).timeline.find((e) => e.action === 'enRoute')).toMatchObject({ actor: CREW, actorRole: 'field' });
    // a few polls later, still exactly once
    await page.waitForTimeout(6000);
    expect((await caseNow()).timeline.filter((e) => e.action === 'enRoute')).toHaveLength(1);
    expect(problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(p))).toEqual([]);
  }, 90_000);

  it('reports it done with an after-photo and a note; each missing field is named first', async () => {
    await page.click('[data-testid="field-done"]');
    const sheet = page.locator('[data-testid="done-sheet"]');
    await sheet.waitFor();
    await page.click('[data-testid="done-submit"]');
    expect(await page.textContent('[data-testid="photo-error"]')).toBe('处置后照片：请至少添加一张');
    expect(await page.textContent('[data-testid="note-error"]')).toBe('处置说明：请填写做了什么');

    await page.setInputFiles('[data-testid="photo-gallery"]', PHOTO);
    await page.locator('[data-testid="done-thumb"]').first().waitFor({ timeout: 15_000 });
    await page.fill('[data-testid="done-note"]', NOTE);
    await shot('done-sheet');
    await page.click('[data-testid="done-submit"]');
    await sheet.waitFor({ state: 'detached' });

    const done = await expect.poll(async () => (await caseNow()).stage, { timeout: 30_000 }).toBe('fedBack').then(caseNow);
    expect(done.photos).toEqual([expect.objectContaining({ phase: 'after', by: CREW, contentType: 'image/jpeg' })]);
    const feedback = done.timeline.find((e) => e.action === 'feedback')!;
    expect(feedback).toMatchObject({ actor: CREW, actorRole: 'field', note: NOTE, data: { unitId: unit.entityId, photoIds: [done.photos[0]!.id] } });
    // the photo was shrunk only if it had to be: the 800×600 fixture arrives as a JPEG of its own size or less
    expect(done.photos[0]!.bytes).toBeGreaterThan(1000);
    expect(done.photos[0]!.bytes).toBeLessThanOrEqual(readFileSync(PHOTO).length * 2);

    // standing by again, with the case among today's finished tasks
    await page.locator('[data-testid="field-idle"]').waitFor({ timeout: 20_000 });
    const item = page.locator('[data-testid="field-today-item"]').first();
    await item.waitFor({ timeout: 40_000 });
    expect(await item.textContent()).toContain(done.code);
    expect(await item.textContent()).toContain('1 张照片');
    await page.waitForTimeout(500);
    await shot('after');
    expect(problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED|Failed to load resource/.test(p))).toEqual([]);
  }, 120_000);

  it('a new task appears by itself; the crew asks to send it back with a reason', async () => {
    const second = await api<CaseDetail>(server, adminToken, 'POST', '/api/cases', {
      source: 'roadChief', itemCode: MISSING_MANHOLE_COVER, lon: ON_JINGSHI_ROAD.lon + 0.002, lat: ON_JINGSHI_ROAD.lat, address: '经十路南侧绿化带', register: true,
    });
    await api<CaseDetail>(server, dispToken, 'POST', `/api/cases/${second.id}/dispatch`, { unitId: unit.entityId });
    // polled, not pushed: within a poll or two
    await page.locator(`[data-testid="field-task"][data-case="${second.id}"]`).waitFor({ timeout: 20_000 });
    await page.click('[data-testid="field-sendback"]');
    await page.click('[data-testid="sendback-submit"]');
    expect(await page.textContent('[data-testid="reason-error"]')).toBe('退回理由：请填写');
    await page.fill('[data-testid="sendback-reason"]', '现场为燃气井，需燃气公司处置');
    await page.click('[data-testid="sendback-submit"]');
    await page.locator('[data-testid="field-sendback-pending"]').waitFor({ timeout: 20_000 });
    const asked = await api<CaseDetail>(server, dispToken, 'GET', `/api/cases/${second.id}`);
    expect(asked.requests).toEqual([expect.objectContaining({ kind: 'sendBack', state: 'pending', requestedBy: CREW, reason: '现场为燃气井，需燃气公司处置' })]);
    expect(asked.timeline.at(-1)).toMatchObject({ action: 'requestSendBack', actor: CREW, actorRole: 'field' });
    await page.waitForTimeout(500);
    await shot('sendback');
  }, 60_000);

  it('the dispatcher sees the crew\'s steps and the after-photo on /console', async () => {
    await page.close();
    const desk = await browser.newPage({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
    const deskProblems = watch(desk);
    try {
      await desk.goto(`${server.base}/console`);
      await desk.waitForURL(/\/login/, { timeout: 30_000 });
      await desk.fill('input[name="username"]', DISPATCHER);
      await desk.fill('input[name="password"]', dispatcherPassword);
      await desk.click('button[type="submit"]');
      await desk.waitForURL(/\/console/, { timeout: 30_000 });
      const row = desk.locator(`[data-testid="queue-row"][data-case="${caseId}"]`);
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      const detail = desk.locator(`[data-testid="case-detail"][data-case="${caseId}"]`);
      await detail.waitFor({ timeout: 30_000 });
      const timeline = desk.locator('[data-testid="timeline"] li');
      await expect.poll(() => timeline.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(5);
      const lines = await timeline.allTextContents();
      for (const step of ['接单', '出发', '处置反馈']) {
        expect(lines.some((l) => l.includes(step) && l.includes(CREW)), `${step} by ${CREW} in ${JSON.stringify(lines)}`).toBe(true);
      }
      expect(lines.some((l) => l.includes(NOTE))).toBe(true);
      const photo = detail.locator('.photos figure img');
      await photo.first().waitFor({ timeout: 15_000 });
      expect(await photo.count()).toBe(1);
      expect(await detail.locator('.photos figcaption').first().textContent()).toContain('处置后');
      await expect.poll(() => photo.first().evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 15_000 }).toBe(800);
      await desk.waitForTimeout(1000);
      await desk.screenshot({ path: path.join(SHOTS, 'field-console-timeline.png'), timeout: 60_000 });
      expect(deskProblems).toEqual([]);
    } finally {
      await desk.close();
    }
  }, 120_000);
});
