/**
 * 随手拍 on a phone, in real Chromium against the real server (Open311 at /open311/v2, no
 * login): a citizen whose phone is on 经十路 opens /report, picks a file that is not a photo
 * (refused, named), then a 2400×1800 phone photo (shrunk to 1600×1200 without its EXIF), drags
 * the map to move the pin, tries to send too early (every missing field named), picks 井盖缺失或破损
 * by searching, answers its questions, writes a description; sends while offline (kept, retry
 * offered), sends again online and gets the request number, which the server has with the
 * photo and the pin's place; follows it to /report/{id}; an unknown number reads as not found.
 * Screenshots at 390×844 (×2) and 1920×1080; no console error, nothing off the machine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { distanceM } from '../../shared/geo.ts';
import { buildApp, freePort, haveChromium, launchChromium, ROOT, SHOTS, startServer, stopServer, watch, type Started } from './harness.ts';

/** 井盖缺失或破损 — an emergency item of the Lixia taxonomy (data/lixia/taxonomy.json). */
const MISSING_MANHOLE_COVER = '15.01.001';
/**
 * Where the phone says it is: the middle of a segment of 经十路 (road-0179 in
 * data/lixia/roads.geojson) in 燕山街道, ~220 m from any other named road.
 */
const ON_JINGSHI_ROAD = { lon: 117.080636, lat: 36.655593 };
/** The zoom the page shows the phone's position at (PinMap's STREET_ZOOM). */
const STREET_ZOOM = 16.5;
const PHOTO = path.join(ROOT, 'tests/fixtures/photos/pothole-2400x1800.jpg');
const DESCRIPTION = '经十路北侧人行道井盖缺失，夜里看不清，有行人踩空的危险。';

interface Attribute { code: string; datatype: string; required: boolean; variable: boolean; values?: { key: string }[] }
interface Request { service_request_id: string; service_code: string; description: string; lat: number; long: number; media_url: string | null; status: string }

/** Metres per CSS pixel of a GL map at `zoom` (512 px tiles, Web Mercator) at latitude `lat`. */
const metresPerPixel = (zoom: number, lat: number) => (2 * Math.PI * 6_378_137 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** zoom);

/** The decoded size of the preview the page shows. */
async function previewSize(page: Page): Promise<[number, number]> {
  return page.$eval('[data-testid=photo-preview]', async (img) => {
    const el = img as HTMLImageElement;
    await el.decode();
    return [el.naturalWidth, el.naturalHeight] as [number, number];
  });
}

/** Width and height from a JPEG's SOF0/SOF2 segment, walking the markers (ITU T.81 B.2). */
function jpegSize(jpg: Buffer): [number, number] {
  let i = 2;
  while (i + 9 < jpg.length) {
    if (jpg[i] !== 0xff) throw new Error(`not a marker at ${i}`);
    const marker = jpg[i + 1]!;
    const len = jpg.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc2) return [jpg.readUInt16BE(i + 7), jpg.readUInt16BE(i + 5)];
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

/** The APP1 (EXIF/XMP) segments of a JPEG. */
function app1Segments(jpg: Buffer): number {
  let i = 2;
  let n = 0;
  while (i + 4 < jpg.length && jpg[i] === 0xff && jpg[i + 1] !== 0xda) {
    if (jpg[i + 1] === 0xe1) n++;
    i += 2 + jpg.readUInt16BE(i + 2);
  }
  return n;
}

describe.skipIf(!haveChromium)('随手拍: a citizen reports a missing manhole cover from a phone (real server, real Chromium)', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let requestId = '';

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-report-'));
    server = await startServer(await freePort(), dataDir, { SIM_DUTY_OFFICER: 'off', SIM_REPORTS_PER_DAY: '0' });
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, locale: 'zh-CN',
      geolocation: { longitude: ON_JINGSHI_ROAD.lon, latitude: ON_JINGSHI_ROAD.lat, accuracy: 10 }, permissions: ['geolocation'],
    });
    page = await context.newPage();
    problems = watch(page);
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes a photo, a pin, a category with its questions and a description, and gives the request number', async () => {
    await page.goto(`${server.base}/report`);
    await page.waitForSelector('[data-testid=report-form]', { timeout: 30_000 });
    await page.waitForSelector('[data-testid=report-map] canvas', { timeout: 60_000 });
    expect(await page.textContent('header h1')).toBe('随手拍');

    // The phone's position places the pin, and the page names the place from the basemap.
    await expect.poll(() => page.textContent('[data-testid=pin-place]'), { timeout: 20_000 }).toBe('燕山街道 · 经十路附近');

    // A file that is not a photo is refused by name, and nothing is previewed.
    await page.setInputFiles('[data-testid=photo-album]', { name: '会议记录.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
    expect(await page.textContent('[data-testid=photo-error]')).toContain('会议记录.txt');
    expect(await page.$('[data-testid=photo-preview]')).toBeNull();

    // A 2400×1800 phone photo with GPS EXIF becomes a 1600×1200 JPEG without EXIF (4:3 kept).
    await page.setInputFiles('[data-testid=photo-album]', PHOTO);
    await page.waitForSelector('[data-testid=photo-preview]', { timeout: 20_000 });
    expect(await page.$('[data-testid=photo-error]')).toBeNull();
    expect(await previewSize(page)).toEqual([1600, 1200]);
    const original = readFileSync(PHOTO);
    expect([jpegSize(original), app1Segments(original)]).toEqual([[2400, 1800], 1]);

    // Too early: every missing field is named, in words.
    await page.click('[data-testid=send]');
    const early = (await page.textContent('[data-testid=form-errors]')) ?? '';
    expect(early).toContain('问题类别');
    expect(early).toContain('问题描述');
    expect(early).not.toContain('问题位置');

    // Drag the map 120 px left and 80 px up: the pin (the map's middle) moves east and south.
    await page.waitForTimeout(1200); // the ease to the phone's position has ended
    const box = (await page.$('[data-testid=report-map]'))!;
    await box.scrollIntoViewIfNeeded();
    const b = (await box.boundingBox())!;
    const [cx, cy] = [b.x + b.width / 2, b.y + b.height / 2];
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let k = 1; k <= 12; k++) await page.mouse.move(cx - 10 * k, cy - (80 / 12) * k);
    await page.waitForTimeout(400); // still before release: no fling
    await page.mouse.up();
    const mpp = metresPerPixel(STREET_ZOOM, ON_JINGSHI_ROAD.lat);
    const expectedPin = {
      lon: ON_JINGSHI_ROAD.lon + (120 * mpp) / (111_320 * Math.cos((ON_JINGSHI_ROAD.lat * Math.PI) / 180)),
      lat: ON_JINGSHI_ROAD.lat - (80 * mpp) / 110_574,
    };

    await page.waitForTimeout(800);
    await page.$eval('.citizen', (el) => el.scrollTo({ top: 0 }));
    await page.screenshot({ path: path.join(SHOTS, 'report-photo-pin-390x844.png') });

    // Category by search, then its questions as the server defines them.
    await page.fill('[data-testid=category-search]', '井盖');
    const options = await page.$$eval('[data-testid=category-option] > span', (els) => els.map((e) => e.textContent ?? ''));
    const all = (await (await fetch(`${server.base}/open311/v2/services.json?locale=zh`)).json()) as { service_name: string }[];
    // Every category named with 井盖 is offered, and the search has narrowed the list.
    expect(options).toEqual(expect.arrayContaining(all.map((x) => x.service_name).filter((n) => n.includes('井盖'))));
    expect(options).toContain('井盖缺失或破损');
    expect(options.length).toBeLessThan(all.length / 4);
    await page.click('[data-testid=category-option]:has-text("井盖缺失或破损")');
    expect(await page.textContent('[data-testid=category-chosen]')).toContain('井盖缺失或破损');
    const def = (await (await fetch(`${server.base}/open311/v2/services/${MISSING_MANHOLE_COVER}.json?locale=zh`)).json()) as { attributes: Attribute[] };
    const required = def.attributes.filter((a) => a.variable && a.required);
    expect(required.length).toBeGreaterThan(0);
    for (const a of required) {
      const sel = `[data-testid="attr-${a.code}"]`;
      await page.waitForSelector(a.datatype === 'multivaluelist' ? `[data-testid^="attr-${a.code}-"]` : sel);
      if (a.datatype === 'singlevaluelist') await page.selectOption(sel, a.values![0]!.key);
      else if (a.datatype === 'multivaluelist') await page.check(`[data-testid="attr-${a.code}-${a.values![0]!.key}"]`);
      else if (a.datatype === 'number') await page.fill(sel, '2');
      else if (a.datatype === 'datetime') await page.fill(sel, '2026-11-28T09:30');
      else await page.fill(sel, '东侧');
    }
    await page.fill('[data-testid=description]', DESCRIPTION);
    await page.screenshot({ path: path.join(SHOTS, 'report-form-390x844.png'), fullPage: false });

    // Offline: nothing is lost, and the button offers to try again.
    await context.setOffline(true);
    await page.click('[data-testid=send]');
    await page.waitForSelector('[data-testid=send-error]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=send-error]')).toContain('网络');
    expect(await page.textContent('[data-testid=send]')).toContain('重试');
    expect(await page.inputValue('[data-testid=description]')).toBe(DESCRIPTION);
    expect(await page.$('[data-testid=photo-preview]')).not.toBeNull();
    await context.setOffline(false);

    await page.click('[data-testid=send]');
    await page.waitForSelector('[data-testid=report-sent]', { timeout: 60_000 });
    requestId = ((await page.textContent('[data-testid=request-number]')) ?? '').trim();
    expect(requestId).not.toBe('');
    await page.screenshot({ path: path.join(SHOTS, 'report-sent-390x844.png') });

    // The server has it: our category, words, photo, and the pin where the drag put it.
    const [r] = (await (await fetch(`${server.base}/open311/v2/requests/${encodeURIComponent(requestId)}.json`)).json()) as Request[];
    expect(r).toMatchObject({ service_request_id: requestId, service_code: MISSING_MANHOLE_COVER, description: DESCRIPTION, status: 'open' });
    expect(r!.media_url).toBeTruthy();
    // The photo as stored: the page's 1600×1200 (the server does not resize), no EXIF block, no trace of the camera.
    const stored = Buffer.from(await (await fetch(new URL(r!.media_url!, server.base))).arrayBuffer());
    expect(jpegSize(stored)).toEqual([1600, 1200]);
    expect(app1Segments(stored)).toBe(0);
    expect(stored.includes(Buffer.from('PhoneMaker'))).toBe(false);
    expect(distanceM(r!.long, r!.lat, expectedPin.lon, expectedPin.lat)).toBeLessThan(8);
    expect(distanceM(r!.long, r!.lat, ON_JINGSHI_ROAD.lon, ON_JINGSHI_ROAD.lat)).toBeGreaterThan(50);

    // Kept on this phone, with the key that rates it later.
    const mine = await page.evaluate(() => JSON.parse(localStorage.getItem('cityops.report.mine') ?? '[]') as { id: string; ratingKey: string | null }[]);
    expect(mine.map((m) => m.id)).toEqual([requestId]);
    expect(mine[0]!.ratingKey).toBeTruthy();
    expect(await page.textContent('[data-testid=my-reports]')).toContain(requestId);
  });

  it('follows the request to its status page: received, the next step current, times in district time', async () => {
    await page.click('[data-testid=follow-link]');
    await page.waitForSelector('[data-testid=progress-steps]', { timeout: 30_000 });
    expect(page.url()).toBe(`${server.base}/report/${encodeURIComponent(requestId)}`);
    expect(await page.textContent('[data-testid=status-service]')).toBe('井盖缺失或破损');
    const states = await page.$$eval('[data-testid=progress-steps] li', (lis) => lis.map((li) => `${li.getAttribute('data-step')}:${li.getAttribute('data-state')}`));
    expect(states[0]).toBe('received:done');
    expect(states).toHaveLength(6);
    expect(states.filter((s) => s.endsWith(':current'))).toHaveLength(1);
    // The received time is shown as Jinan's clock reads it (UTC+8, no DST).
    const [r] = (await (await fetch(`${server.base}/open311/v2/requests/${encodeURIComponent(requestId)}.json?extensions=true`)).json()) as { requested_datetime: string }[];
    const local = new Date(Date.parse(r!.requested_datetime) + 8 * 3_600_000);
    const hhmm = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
    expect(await page.textContent('[data-testid=progress-steps] li[data-step=received] .time')).toBe(`${local.getUTCMonth() + 1}月${local.getUTCDate()}日 ${hhmm}`);
    // Nothing personal on a public page: not even the citizen's own words.
    expect(await page.textContent('main')).not.toContain(DESCRIPTION);
    await page.screenshot({ path: path.join(SHOTS, 'report-status-390x844.png'), fullPage: true });
  });

  it('an unknown request number reads as not found', async () => {
    await page.goto(`${server.base}/report/LX-00000000-9999`);
    await page.waitForSelector('[data-testid=status-not-found]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=status-not-found] h2')).toContain('LX-00000000-9999');
  });

  it('switches to English and reads well on a desktop at 1920×1080', async () => {
    const desk = await browser.newPage({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1 });
    const deskProblems = watch(desk);
    await desk.goto(`${server.base}/report`);
    await desk.waitForSelector('[data-testid=report-map] canvas', { timeout: 60_000 });
    await desk.click('[data-testid=report-lang]');
    await expect.poll(() => desk.textContent('header h1')).toBe('Snap & Report');
    await desk.fill('[data-testid=category-search]', 'manhole');
    await expect.poll(async () => (await desk.$$('[data-testid=category-option]')).length, { timeout: 10_000 }).toBeGreaterThan(0);
    await desk.waitForTimeout(800);
    await desk.screenshot({ path: path.join(SHOTS, 'report-desktop-1920x1080.png') });
    await desk.close();
    expect(deskProblems).toEqual([]);
  });

  it('had no console error and made no request off the machine', () => {
    // The not-found page's own 404 is the answer it shows, not a fault; going offline is the test's.
    const expected = (p: string) => /status of 404/.test(p) || /ERR_INTERNET_DISCONNECTED/.test(p);
    expect(problems.filter((p) => !expected(p))).toEqual([]);
  });
});

/**
 * The same citizen later: the simulated duty officer and crews (no delay, sim speed ×30) carry
 * the case through to 结案 on the real server; the status page, refreshed, shows every step
 * done, the citizen (who kept the rating key on this phone) gives 4 stars with a comment, and
 * the rating is shown and stored. Without a location permission the pin is placed by a tap.
 */
describe.skipIf(!haveChromium)('随手拍: the citizen follows the case to 结案 and rates it (real server, simulated duty officer)', () => {
  let server: Started;
  let browser: Browser;
  let dataDir: string;

  beforeAll(async () => {
    buildApp();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cityops-e2e-report-rate-'));
    server = await startServer(await freePort(), dataDir, { SIM_DUTY_OFFICER: 'auto', SIM_DUTY_DELAY_S: '0', SIM_SPEED: '30', SIM_START_TIME: '09:00', SIM_REPORTS_PER_DAY: '0' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (server) await stopServer(server.child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports with a tapped pin, waits for 结案, rates 4 stars', { timeout: 300_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, locale: 'zh-CN' });
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${server.base}/report`);
    await page.waitForSelector('[data-testid=report-map] canvas', { timeout: 60_000 });
    // No permission: the page says so and leaves the pin to the citizen.
    await page.waitForSelector('[data-testid=geo-note]', { timeout: 20_000 });
    const map = (await page.$('[data-testid=report-map]'))!;
    await map.scrollIntoViewIfNeeded();
    await page.waitForTimeout(1000);
    const b = (await map.boundingBox())!;
    await page.mouse.click(b.x + b.width / 2 + 40, b.y + b.height / 2 + 30);
    await expect.poll(() => page.textContent('[data-testid=pin-place]'), { timeout: 10_000 }).toMatch(/街道/);

    await page.fill('[data-testid=category-search]', '井盖缺失');
    await page.click('[data-testid=category-option]:has-text("井盖缺失或破损")');
    const def = (await (await fetch(`${server.base}/open311/v2/services/${MISSING_MANHOLE_COVER}.json`)).json()) as { attributes: Attribute[] };
    for (const a of def.attributes.filter((x) => x.variable && x.required && x.datatype === 'singlevaluelist')) {
      await page.waitForSelector(`[data-testid="attr-${a.code}"]`);
      await page.selectOption(`[data-testid="attr-${a.code}"]`, a.values![0]!.key);
    }
    await page.fill('[data-testid=description]', '井盖缺失，请尽快处理。');
    await page.click('[data-testid=send]');
    await page.waitForSelector('[data-testid=report-sent]', { timeout: 60_000 });
    const id = ((await page.textContent('[data-testid=request-number]')) ?? '').trim();

    await page.click('[data-testid=follow-link]');
    await page.waitForSelector('[data-testid=progress-steps]');
    // The page refreshes on its own every 20 s; reloading only makes the wait shorter.
    await expect.poll(async () => {
      await page.reload();
      await page.waitForSelector('[data-testid=status-badge]');
      return (await page.textContent('[data-testid=status-badge]'))?.trim();
    }, { timeout: 240_000, interval: 5_000 }).toBe('已办结');
    const states = await page.$$eval('[data-testid=progress-steps] li', (lis) => lis.map((li) => li.getAttribute('data-state')));
    expect(states).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);

    await page.click('[data-testid=star-4]');
    await page.fill('[data-testid=rating-comment]', '处理很及时，谢谢！');
    await page.click('[data-testid=rating-submit]');
    await page.waitForSelector('[data-testid=rating-score][data-score="4"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=rating]')).toContain('处理很及时，谢谢！');
    const [r] = (await (await fetch(`${server.base}/open311/v2/requests/${encodeURIComponent(id)}.json?extensions=true`)).json()) as { extended_attributes: { rating: { score: number; comment: string } | null } }[];
    expect(r!.extended_attributes.rating).toMatchObject({ score: 4, comment: '处理很及时，谢谢！' });
    await page.$eval('.citizen', (el) => el.scrollTo({ top: el.scrollHeight }));
    await page.screenshot({ path: path.join(SHOTS, 'report-rated-390x844.png') });
    await context.close();
    expect(problems).toEqual([]);
  });
});
