/**
 * Open311 GeoReport v2 against the real server (SIM off): discovery, services, definitions,
 * POST requests as form and multipart (a real JPEG), tokens, the request in JSON and XML
 * (XML read with fast-xml-parser), every refusal as the spec's error list, repeats, rate
 * limits, the request following its case to closure, the rating extension, keys (admin API,
 * CLI, the report page's key) and the reporter's contact never leaving the staff side.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import exifr from 'exifr';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseDetail } from '../../shared/cases.ts';
import type { DistrictPack } from '../../shared/district.ts';
import { hashPassword } from '../../server/auth/passwords.ts';
import { DistrictLocator } from '../../server/district/locator.ts';
import { call, login } from './ops-http.ts';
import { lixiaPack, startServer, storeEnv, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'admin-password-for-tests';
const PHOTO_MAX = 4096;
const RATE = 40;
const JPEG = readFileSync('tests/fixtures/photos/street-96x64.jpg');
/** The same image with a phone's EXIF: camera and GPS at 泉城广场 (tests/fixtures/photos/README.md). */
const PHONE_JPEG = readFileSync('tests/fixtures/photos/phone-gps-96x64.jpg');
const xml = new XMLParser({ ignoreDeclaration: true, parseTagValue: false, isArray: (n) => ['service', 'request', 'error', 'attribute', 'value', 'endpoint', 'format', 'entry'].includes(n) });
const V2 = '/open311/v2';

let s: RunningServer;
let pack: DistrictPack;
let admin: string, disp: string;
let pageKey: string;
/** Grid centres inside the district, one per request so that no two are repeats by accident. */
let spots: { lon: number; lat: number; communityCode: string }[];
let nextSpot = 0;
const spot = () => spots[nextSpot++]!;
let locatorOf: () => DistrictLocator;

interface Res { status: number; type: string; text: string; json: any; headers: Headers }

async function http(method: string, path: string, body?: BodyInit, headers: Record<string, string> = {}): Promise<Res> {
  const res = await fetch(`${s.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json, headers: res.headers };
}
const get = (path: string, headers: Record<string, string> = {}) => http('GET', path, undefined, headers);
const postForm = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) => http('POST', path, new URLSearchParams(fields), headers);
/** The spec's error list in JSON, checked whole: one error whose code is the status. */
function specError(r: Res, status: number): string {
  expect(r.status, r.text).toBe(status);
  expect(r.type).toBe('application/json; charset=utf-8');
  expect(r.json).toEqual([{ code: status, description: expect.any(String) }]);
  return r.json[0].description as string;
}
/** Cases in the server's store, through its SQL layer (either driver). */
async function caseCount(on: RunningServer): Promise<number> {
  return (await on.app.store.sql.one<{ n: number }>('SELECT count(*) AS n FROM cases'))!.n;
}

let hotlineKey: string, hotlineKeyId: number;
async function newKey(name: string, source: 'citizenPhoto' | 'hotline' = 'citizenPhoto'): Promise<{ id: number; key: string }> {
  const r = await call(s.url, admin, 'POST', '/api/open311-keys', { name, source });
  expect(r.status).toBe(201);
  return { id: r.json.id, key: r.json.key };
}

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD, PHOTO_MAX_BYTES: String(PHOTO_MAX), OPEN311_RATE_PER_MIN: String(RATE) });
  pack = await lixiaPack();
  const locator = new DistrictLocator(pack);
  locatorOf = () => locator;
  await s.app.store.access.createUser('disp1', await hashPassword('dispatcher-password'), 'dispatcher');
  admin = await login(s.url, 'admin', ADMIN_PASSWORD);
  disp = await login(s.url, 'disp1', 'dispatcher-password');
  spots = pack.grids.features.filter((_, i) => i % 7 === 0).map((g) => {
    const ring = g.geometry.coordinates[0]!;
    return { lon: (ring[0]![0] + ring[2]![0]) / 2, lat: (ring[0]![1] + ring[2]![1]) / 2, communityCode: g.properties.communityCode };
  }).filter((p) => locator.locate(p.lon, p.lat) !== null && locator.inDistrict(p.lon, p.lat));
  pageKey = (await get('/api/report-page')).json.apiKey;
  ({ key: hotlineKey, id: hotlineKeyId } = await newKey('12345 热线系统', 'hotline'));
});
afterAll(async () => s?.close());

describe('discovery, services and definitions', () => {
  it('describes the endpoint in JSON and XML', async () => {
    const j = await get(`${V2}/discovery.json`);
    expect(j.type).toBe('application/json; charset=utf-8');
    expect(j.json).toMatchObject({ contact: expect.stringContaining('历下区'), endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${s.url}${V2}/`, type: 'production', formats: ['text/xml', 'application/json'] }] });
    const x = await get(`${V2}/discovery.xml`);
    expect(x.type).toBe('text/xml; charset=utf-8');
    expect(xml.parse(x.text).discovery.endpoints.endpoint[0]).toMatchObject({ specification: 'http://wiki.open311.org/GeoReport_v2', url: `${s.url}${V2}/`, formats: { format: ['text/xml', 'application/json'] } });
  });

  it('lists one service per item citizens may report, grouped by class, in Chinese or English', async () => {
    const r = await get(`${V2}/services.json`);
    const reportable = pack.taxonomy!.items.filter((i) => !['03.02.005', '15.02.001', '16.01.001', '16.01.002', '16.01.003', '16.01.004'].includes(i.code));
    expect(r.json.map((x: { service_code: string }) => x.service_code)).toEqual(reportable.map((i) => i.code));
    expect(r.json.find((x: { service_code: string }) => x.service_code === '13.01.006')).toEqual({
      service_code: '13.01.006', service_name: '施工废料乱堆', description: '事件 · 施工管理 · 施工现场 · 施工废料乱堆'.replace('施工现场', pack.taxonomy!.subclasses!.find((c) => c.code === '13.01')!.name),
      metadata: true, type: 'realtime', keywords: expect.any(String), group: '施工管理',
    });
    expect(r.json.find((x: { service_code: string }) => x.service_code === '12.01.001')).toMatchObject({ metadata: false });
    const en = await get(`${V2}/services.json?locale=en`);
    expect(en.json.find((x: { service_code: string }) => x.service_code === '13.01.006')).toMatchObject({ service_name: 'Construction waste dumped', group: 'Construction' });
    const al = await get(`${V2}/services.xml`, { 'accept-language': 'en-GB,en;q=0.8' });
    const svc = xml.parse(al.text).services.service as { service_code: string; service_name: string; metadata: string }[];
    expect(svc).toHaveLength(reportable.length);
    expect(svc.find((x) => x.service_code === '01.01.001')).toMatchObject({ service_name: 'Water-supply manhole cover damaged', metadata: 'true' });
  });

  it('defines the attributes of a service, and refuses an unknown service or jurisdiction with the spec\'s errors', async () => {
    const d = await get(`${V2}/services/13.01.006.json`);
    expect(d.json).toMatchObject({ service_code: '13.01.006', attributes: [{ variable: true, code: 'volume', datatype: 'singlevaluelist', required: true, order: 1, values: [{ key: 'lt1' }, { key: '1to5' }, { key: 'gt5' }] }] });
    const dx = xml.parse((await get(`${V2}/services/01.01.004.xml?jurisdiction_id=lixia`)).text);
    expect(dx.service_definition.attributes.attribute.map((a: { code: string }) => a.code)).toEqual(['cover_state', 'on_carriageway']);
    expect(specError(await get(`${V2}/services/99.99.999.json`), 404)).toBe('service_code "99.99.999" is not a service here (see services.json)');
    expect(specError(await get(`${V2}/services.json?jurisdiction_id=sf.gov`), 404)).toContain('jurisdiction_id "sf.gov" is not served here');
    const unknown = await get(`${V2}/nothing/here.xml`);
    expect(unknown.status).toBe(404);
    expect(unknown.type).toBe('text/xml; charset=utf-8');
    expect(xml.parse(unknown.text)).toEqual({ errors: { error: [{ code: '404', description: 'no such Open311 resource: GET /open311/v2/nothing/here.xml' }] } });
  });
});

describe('the OpenAPI document', () => {
  it('lists the Open311 routes and the staff side under the open311 tag', async () => {
    const doc = (await get('/docs/json')).json as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).filter(([, op]) => op.tags?.includes('open311')).map(([m]) => `${m.toUpperCase()} ${path}`));
    expect(ops.sort()).toEqual([
      'DELETE /api/open311-keys/{id}', 'GET /api/cases/{id}/reporter', 'GET /api/open311-keys', 'GET /api/report-page',
      'GET /open311/v2/requests/{file}', 'GET /open311/v2/services/{file}', 'GET /open311/v2/tokens/{file}', 'GET /open311/v2/{file}',
      'POST /api/open311-keys', 'POST /open311/v2/requests/{id}/{file}', 'POST /open311/v2/{file}',
    ]);
  });
});

describe('POST requests', () => {
  let submitted: { service_request_id: string; token: string; rating_key: string };
  let at: { lon: number; lat: number };

  it('takes a form with attributes and contact, opens a case from the key\'s source, and answers the case number', async () => {
    at = spot();
    const r = await postForm(`${V2}/requests.json`, {
      api_key: hotlineKey, jurisdiction_id: 'lixia', service_code: '13.01.006', lat: String(at.lat), long: String(at.lon),
      description: '工地门口堆了 <很多> 建筑垃圾 & 渣土', 'attribute[volume]': 'gt5',
      first_name: '小明', last_name: '王', email: 'wang.xm@example.cn', phone: '+86 138 0000 1111', device_id: 'dev-77', account_id: 'acct-9',
      media_url: 'https://img.example.cn/a.jpg',
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual([{ service_request_id: expect.stringMatching(/^LX-\d{8}-\d{4}$/), token: expect.stringMatching(/^[0-9a-f-]{36}$/), service_notice: '按规定 2 天内处置完毕', account_id: 'acct-9', rating_key: expect.any(String) }]);
    submitted = r.json[0];
    const id = (await s.app.open311.service['d'].repo.caseIdByCode(submitted.service_request_id, ['hotline']))!;
    const c = (await s.app.cases.detail(id))!;
    expect(c).toMatchObject({ source: 'hotline', itemCode: '13.01.006', description: '工地门口堆了 <很多> 建筑垃圾 & 渣土', stage: 'reported', location: { lon: at.lon, lat: at.lat } });
    expect(c.reportedBy).toBe(`open311-key-${hotlineKeyId}`);
    const keys = await call(s.url, admin, 'GET', '/api/open311-keys');
    expect(keys.json.find((k: { id: number }) => k.id === hotlineKeyId)).toMatchObject({ requestCount: 1, lastUsedAt: expect.any(Number) });
  });

  it('finds it by token and reads it back in JSON and XML', async () => {
    expect((await get(`${V2}/tokens/${submitted.token}.json`)).json).toEqual([{ service_request_id: submitted.service_request_id, token: submitted.token }]);
    const tx = xml.parse((await get(`${V2}/tokens/${submitted.token}.xml`)).text);
    expect(tx).toEqual({ service_requests: { request: [{ service_request_id: submitted.service_request_id, token: submitted.token }] } });
    const j = (await get(`${V2}/requests/${submitted.service_request_id}.json`)).json[0];
    expect(Object.keys(j)).toEqual(['service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible', 'service_notice', 'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url']);
    expect(j).toMatchObject({
      service_request_id: submitted.service_request_id, status: 'open', status_notes: '已收到，等待受理', service_name: '施工废料乱堆', service_code: '13.01.006',
      description: '工地门口堆了 <很多> 建筑垃圾 & 渣土', lat: at.lat, long: at.lon, media_url: 'https://img.example.cn/a.jpg', expected_datetime: null,
      requested_datetime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/),
    });
    // the item's department, or the street of the place when that department works street by street
    const dept = pack.organisations!.find((o) => o.code === pack.taxonomy!.items.find((i) => i.code === '13.01.006')!.deptCode)!;
    const streetCode = locatorOf().locate(at.lon, at.lat)!.streetCode;
    expect(j.agency_responsible).toBe(dept.streetLevel ? pack.organisations!.find((o) => o.code === streetCode)!.name : dept.name);
    const x = await get(`${V2}/requests/${submitted.service_request_id}.xml`);
    expect(x.text).toContain('<description>工地门口堆了 &lt;很多&gt; 建筑垃圾 &amp; 渣土</description>');
    const req = xml.parse(x.text).service_requests.request[0];
    expect(req).toMatchObject({ service_request_id: submitted.service_request_id, status: 'open', lat: String(at.lat), long: String(at.lon), description: '工地门口堆了 <很多> 建筑垃圾 & 渣土', address_id: '', zipcode: '' });
  });

  it('keeps the reporter\'s contact private: the staff read it, no public answer holds it', async () => {
    const id = (await s.app.open311.service['d'].repo.caseIdByCode(submitted.service_request_id, ['hotline']))!;
    const rep = await call(s.url, disp, 'GET', `/api/cases/${id}/reporter`);
    expect(rep.status).toBe(200);
    expect(rep.json).toMatchObject({ keyId: hotlineKeyId, source: 'hotline', contact: { first_name: '小明', last_name: '王', email: 'wang.xm@example.cn', phone: '+86 138 0000 1111', device_id: 'dev-77', account_id: 'acct-9' }, attributes: { volume: 'gt5' } });
    expect((await call(s.url, undefined, 'GET', `/api/cases/${id}/reporter`)).status).toBe(401);
    const publicTexts = [
      (await get(`${V2}/requests.json`)).text, (await get(`${V2}/requests.xml?extensions=true`)).text,
      (await get(`${V2}/requests/${submitted.service_request_id}.json?extensions=true`)).text, (await get(`${V2}/requests/${submitted.service_request_id}.xml`)).text,
    ];
    for (const t of publicTexts) for (const secret of ['wang.xm@example.cn', '138 0000 1111', '小明', 'dev-77', hotlineKey, submitted.rating_key]) expect(t).not.toContain(secret);
  });

  it('refuses each bad input with the spec\'s error naming the field', async () => {
    const p = spot();
    const ok = { api_key: hotlineKey, service_code: '11.01.001', lat: String(p.lat), long: String(p.lon) };
    const post = (f: Record<string, string>) => postForm(`${V2}/requests.json`, f);
    const without = (k: string) => Object.fromEntries(Object.entries(ok).filter(([x]) => x !== k));
    expect(specError(await post(without('api_key')), 403)).toBe('api_key is required to submit a request');
    expect(specError(await post({ ...ok, api_key: 'o311_not-a-key' }), 403)).toBe('api_key is not valid');
    expect(specError(await post(without('service_code')), 400)).toBe('service_code is required');
    expect(specError(await post({ ...ok, service_code: '99.01.001' }), 404)).toBe('service_code "99.01.001" is not a service here (see services.json)');
    expect(specError(await post({ ...ok, service_code: '15.02.001' }), 404)).toBe('service_code "15.02.001" is not a service here (see services.json)');
    expect(specError(await post({ api_key: hotlineKey, service_code: '11.01.001' }), 400)).toBe('a location is required: lat and long, or address_string');
    expect(specError(await post(without('long')), 400)).toBe('long is required with lat');
    expect(specError(await post(without('lat')), 400)).toBe('lat is required with long');
    expect(specError(await post({ ...ok, lat: 'north' }), 400)).toBe('lat must be a number from -90 to 90 (WGS-84 degrees), got "north"');
    expect(specError(await post({ ...ok, long: '181' }), 400)).toBe('long must be a number from -180 to 180 (WGS-84 degrees), got "181"');
    expect(specError(await post({ ...ok, lat: '39.9042', long: '116.4074' }), 400)).toBe('the location is outside 历下区');
    expect(specError(await post({ ...ok, service_code: '13.01.006' }), 400)).toBe('attribute[volume] is required for service 13.01.006 (Estimated volume)');
    expect(specError(await post({ ...ok, service_code: '13.01.006', 'attribute[volume]': 'lots' }), 400)).toBe('attribute[volume]: "lots" is not one of lt1, 1to5, gt5');
    expect(specError(await post({ ...ok, 'attribute[colour]': 'red' }), 400)).toBe('attribute[colour]: service 11.01.001 has no attribute colour (its attributes: none)');
    expect(specError(await post({ ...ok, media_url: 'file:///etc/passwd' }), 400)).toBe('media_url must be an http(s) URL of at most 2000 characters');
    expect(specError(await post({ ...ok, description: '长'.repeat(2001) }), 400)).toBe('description is longer than 2000 characters');
    expect(specError(await post({ ...ok, email: 'not-an-email' }), 400)).toBe('email is not an email address');
    expect(specError(await post({ ...ok, address_string: '北京市海淀区中关村大街', lat: '', long: '' }), 400)).toMatch(/^address_string "北京市海淀区中关村大街" could not be placed in 历下区/);
    // Bodies that do not parse or are not a form: the spec's list, never the body echoed back.
    const broken = await http('POST', `${V2}/requests.json`, `{"api_key": "${hotlineKey}", "service_code": `, { 'content-type': 'application/json' });
    expect(specError(broken, 400)).not.toContain(hotlineKey);
    expect(specError(await http('POST', `${V2}/requests.json`, 'api_key=x', { 'content-type': 'text/plain' }), 415)).toMatch(/^unsupported content type/);
    const x = await http('POST', `${V2}/requests.xml`, new URLSearchParams(without('api_key')));
    expect([x.status, x.type]).toEqual([403, 'text/xml; charset=utf-8']);
    expect(xml.parse(x.text)).toEqual({ errors: { error: [{ code: '403', description: 'api_key is required to submit a request' }] } });
    expect(specError(await post({ ...ok, description: 'x'.repeat(300 * 1024) }), 413)).toBe('the request body is too large');
    expect(specError(await get(`${V2}/requests/LX-20000101-0001.json`), 404)).toBe('service_request_id "LX-20000101-0001" is not known here');
    expect(specError(await get(`${V2}/tokens/00000000-0000-0000-0000-000000000000.json`), 404)).toMatch(/is not known here$/);
    expect(specError(await get(`${V2}/requests.json?start_date=last-week`), 400)).toMatch(/^start_date: "last-week" is not a W3C datetime/);
    expect(specError(await get(`${V2}/requests.json?status=pending`), 400)).toBe('status: "pending" is not open or closed');
  });

  it('answers a submission in XML when asked by the suffix, in English when asked', async () => {
    const p = spot();
    const r = await postForm(`${V2}/requests.xml?locale=en`, { api_key: hotlineKey, service_code: '15.01.004', lat: String(p.lat), long: String(p.lon), 'attribute[depth_cm]': '40' });
    expect([r.status, r.type]).toEqual([200, 'text/xml; charset=utf-8']);
    const sub = xml.parse(r.text).service_requests.request[0];
    expect(sub).toEqual({ service_request_id: expect.stringMatching(/^LX-\d{8}-\d{4}$/), token: expect.any(String), service_notice: 'urgent: a crew is due on site within 7 minutes of dispatch', account_id: '', rating_key: expect.any(String) });
    const en = (await get(`${V2}/requests/${sub.service_request_id}.json`, { 'accept-language': 'en' })).json[0];
    expect(en).toMatchObject({ service_name: 'Waterlogged road', status_notes: 'received, awaiting acceptance' });
  });

  it('places a request by address_string alone (a 12345 operator\'s text) inside the named community', async () => {
    const community = pack.communities.features.find((f) => f.properties.name.length >= 4)!;
    const r = await postForm(`${V2}/requests.json`, { api_key: hotlineKey, service_code: '11.01.003', address_string: `${community.properties.name}东门外`, description: '路面很脏' });
    expect(r.status, r.text).toBe(200);
    const one = (await get(`${V2}/requests/${r.json[0].service_request_id}.json`)).json[0];
    expect(one.address).toBe(`${community.properties.name}东门外`);
    const place = (await s.app.cases.detail((await s.app.open311.service['d'].repo.caseIdByCode(one.service_request_id, ['hotline']))!))!.location;
    expect(place.communityCode).toBe(community.properties.code);
  });

  it('answers a repeat with the first request\'s id and a notice, and opens no second case', async () => {
    const p = spot();
    const form = { api_key: hotlineKey, service_code: '11.01.001', lat: String(p.lat), long: String(p.lon), description: '绿化带里有一堆垃圾' };
    const first = await postForm(`${V2}/requests.json`, form);
    const casesBefore = await caseCount(s);
    // 11 m away, the description with other spacing and punctuation
    const again = await postForm(`${V2}/requests.json`, { ...form, lat: String(p.lat + 0.0001), description: '绿化带里 有一堆垃圾！' });
    expect(again.status).toBe(200);
    expect(again.json).toEqual([{ service_request_id: first.json[0].service_request_id, token: first.json[0].token, service_notice: `已识别为重复提交，与 ${first.json[0].service_request_id} 为同一事项，未重复立案`, account_id: null, rating_key: null }]);
    expect(await caseCount(s)).toBe(casesBefore);
    const other = await postForm(`${V2}/requests.json`, { ...form, description: '绿化带里有两堆垃圾' });
    expect(other.json[0].service_request_id).not.toBe(first.json[0].service_request_id);
  });

  it('takes a phone\'s JPEG in multipart as the case\'s before-photo, without its GPS, and serves it back through media_url', async () => {
    expect(await exifr.gps(PHONE_JPEG), 'the fixture carries GPS').toMatchObject({ latitude: expect.closeTo(36.658, 2) });
    const p = spot();
    const fd = new FormData();
    for (const [k, v] of Object.entries({ api_key: pageKey, service_code: '03.01.005', lat: String(p.lat), long: String(p.lon), 'attribute[bin_state][]': 'overflow' })) fd.append(k, v);
    fd.append('attribute[bin_state][]', 'odour');
    fd.append('media', new Blob([new Uint8Array(PHONE_JPEG)], { type: 'image/jpeg' }), 'bin.jpg');
    const r = await http('POST', `${V2}/requests.json`, fd);
    expect(r.status, r.text).toBe(200);
    const id = r.json[0].service_request_id as string;
    const c = (await s.app.cases.detail((await s.app.open311.service['d'].repo.caseIdByCode(id, ['citizenPhoto']))!))!;
    expect(c.source).toBe('citizenPhoto');
    expect(c.photos).toMatchObject([{ phase: 'before', contentType: 'image/jpeg' }]);
    const onDisk = readFileSync(join(s.dataDir, 'photos', String(c.id), `${c.photos[0]!.id}.jpg`));
    expect(c.photos[0]!.bytes).toBe(onDisk.length);
    const mediaUrl = (await get(`${V2}/requests/${id}.json`)).json[0].media_url as string;
    expect(mediaUrl.startsWith(`${s.url}/media/photos/${c.id}/${c.photos[0]!.id}?exp=`)).toBe(true);
    const img = await fetch(mediaUrl);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const served = Buffer.from(await img.arrayBuffer());
    expect(served.equals(onDisk)).toBe(true);
    expect([served[0], served[1], served[2]]).toEqual([0xff, 0xd8, 0xff]);
    expect(await exifr.gps(served)).toBeUndefined();
    expect((await call(s.url, disp, 'GET', `/api/cases/${c.id}/reporter`)).json.attributes).toEqual({ bin_state: ['overflow', 'odour'] });
  });

  it('refuses a photo too large (413) or not an image (415) with the spec\'s errors, and opens no case', async () => {
    const p = spot();
    const form = (media: Buffer, type: string) => {
      const fd = new FormData();
      for (const [k, v] of Object.entries({ api_key: pageKey, service_code: '11.01.005', lat: String(p.lat), long: String(p.lon) })) fd.append(k, v);
      fd.append('media', new Blob([new Uint8Array(media)], { type }), 'x');
      return fd;
    };
    const before = await caseCount(s);
    const big = Buffer.concat([JPEG.subarray(0, JPEG.length - 2), Buffer.alloc(PHOTO_MAX, 1), JPEG.subarray(JPEG.length - 2)]);
    expect(specError(await http('POST', `${V2}/requests.json`, form(big, 'image/jpeg')), 413)).toBe(`media: the photo is larger than ${PHOTO_MAX} bytes`);
    expect(specError(await http('POST', `${V2}/requests.json`, form(Buffer.from('%PDF-1.4 not a photo'), 'image/jpeg')), 415)).toBe('media: the file is not a JPEG, PNG or WebP image');
    const fd = form(JPEG, 'image/jpeg');
    fd.append('photo2', new Blob([new Uint8Array(JPEG)]), 'y.jpg');
    expect(specError(await http('POST', `${V2}/requests.json`, fd), 413)).toBe('media: send one photo per request');
    expect(await caseCount(s)).toBe(before);
  });

  it('limits each key per minute with 429 and the spec\'s error; the report page\'s key per client address', async () => {
    const k = await newKey('rate test app');
    // Attempts count, accepted or not: RATE of them pass the limit (to be refused for the missing service_code).
    const statuses: number[] = [];
    let refused: Res | undefined;
    for (let i = 0; i < 2 * RATE + 1 && !refused; i++) {
      const r = await postForm(`${V2}/requests.json`, { api_key: k.key, description: `rate ${i}` });
      statuses.push(r.status);
      if (r.status === 429) refused = r;
    }
    // A minute may turn during the loop (the count starts again), never twice: at least RATE pass first.
    expect(statuses.indexOf(429)).toBeGreaterThanOrEqual(RATE);
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set([400]));
    expect(specError(refused!, 429)).toMatch(/^rate limit of this api_key reached: try again in \d+ s$/);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    // another key is not held back by this one
    const p = spot();
    expect((await postForm(`${V2}/requests.json`, { api_key: hotlineKey, service_code: '11.01.001', lat: String(p.lat), long: String(p.lon) })).status).toBe(200);
  });
});

describe('a request follows its case to closure, and its reporter rates it', () => {
  it('shows each stage, the closure deadline, after-photos and the public timeline; rating only once, after closure', async () => {
    const p = spot();
    const sub = (await postForm(`${V2}/requests.json`, { api_key: pageKey, service_code: '11.01.001', lat: String(p.lat), long: String(p.lon), description: '垃圾没人清', email: 'x@y.cn' })).json[0];
    const code = sub.service_request_id as string;
    const id = (await s.app.open311.service['d'].repo.caseIdByCode(code, ['citizenPhoto']))!;
    const status = async () => (await get(`${V2}/requests/${code}.json?extensions=true`)).json[0];
    const rate = (fields: Record<string, string>) => postForm(`${V2}/requests/${code}/rating.json`, fields);

    let c = (await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'register' })).json as CaseDetail;
    const closure = c.clocks.find((k) => k.kind === 'closure')!;
    const local = (ts: number) => `${new Date(ts + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;
    expect(await status()).toMatchObject({ status: 'open', status_notes: '已立案，等待派遣', expected_datetime: local(closure.dueTs) });

    const unit = pack.vehicles[0]!.id;
    c = await s.app.cases.dispatch(id, { unitId: unit, unitName: pack.vehicles[0]!.plate, dispatchedTs: Date.now(), etaTs: null, route: [], arrivedTs: null, by: 'disp1' }, { name: 'disp1', role: 'dispatcher' }, { version: c.version });
    expect(await status()).toMatchObject({ status: 'open', status_notes: '已派遣处置' });
    expect(specError(await rate({ rating_key: sub.rating_key, score: '5' }), 409)).toBe(`request ${code} is not closed yet (dispatched to a crew): it can be rated once it is closed`);

    const crew = { name: unit, role: 'field' };
    await s.app.cases.unitStep(id, 'accept', crew);
    await s.app.cases.unitStep(id, 'arrive', { name: 'system', role: 'system' }, { unitId: unit });
    const after = await fetch(`${s.url}/api/cases/${id}/photos?phase=after`, { method: 'POST', headers: { authorization: `Bearer ${disp}`, 'content-type': 'image/jpeg' }, body: new Uint8Array(JPEG) });
    expect(after.status).toBe(201);
    const afterId = ((await after.json()) as { id: string }).id;
    await s.app.cases.feedback(id, crew, { note: '已清理 张师傅', photoIds: [afterId] });
    const fb = await status();
    expect(fb).toMatchObject({ status: 'open', status_notes: '已处置，等待核查' });
    expect(fb.extended_attributes.after_media_urls).toEqual([expect.stringContaining(`/media/photos/${id}/${afterId}?exp=`)]);
    const afterImg = await fetch(fb.extended_attributes.after_media_urls[0]);
    expect(Buffer.from(await afterImg.arrayBuffer()).equals(JPEG)).toBe(true);

    c = (await call(s.url, disp, 'GET', `/api/cases/${id}`)).json;
    c = (await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'verifyPass', version: c.version })).json;
    c = (await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'close', version: c.version })).json;
    const closed = await status();
    expect(closed).toMatchObject({ status: 'closed', status_notes: '已结案', updated_datetime: local(c.updatedTs) });
    expect(closed.extended_attributes).toMatchObject({ stage: 'closed', rating: null });
    expect(closed.extended_attributes.timeline.map((e: { event: string }) => e.event)).toEqual(['received', 'registered', 'dispatched', 'handling', 'handled', 'verified', 'closed']);
    expect(closed.extended_attributes.timeline[0].datetime).toBe(local(c.createdTs));
    const text = JSON.stringify(closed);
    for (const hidden of ['张师傅', unit, 'disp1', 'x@y.cn']) expect(text).not.toContain(hidden);
    expect((await get(`${V2}/requests.json?status=closed&service_code=11.01.001`)).json.map((r: { service_request_id: string }) => r.service_request_id)).toContain(code);
    expect((await get(`${V2}/requests.json?status=open`)).json.map((r: { service_request_id: string }) => r.service_request_id)).not.toContain(code);

    expect(specError(await rate({ rating_key: 'guessed-key', score: '5' }), 403)).toBe(`rating_key is not the rating key of request ${code}`);
    expect(specError(await rate({ rating_key: sub.rating_key, score: '6' }), 400)).toBe('score must be an integer from 1 to 5, got "6"');
    expect(specError(await rate({ rating_key: sub.rating_key }), 400)).toBe('score is required (an integer from 1 to 5)');
    const ok = await http('POST', `${V2}/requests/${code}/rating.json`, JSON.stringify({ rating_key: sub.rating_key, score: 4, comment: '清理及时，点赞' }), { 'content-type': 'application/json' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json[0]).toMatchObject({ status: 'closed', status_notes: '已结案并评价', extended_attributes: { stage: 'evaluated', rating: { score: 4, comment: '清理及时，点赞', datetime: expect.stringMatching(/\+08:00$/) } } });
    expect(ok.json[0].extended_attributes.timeline.at(-1).event).toBe('rated');
    expect(specError(await rate({ rating_key: sub.rating_key, score: '1' }), 409)).toBe(`request ${code} has already been rated`);

    // The console's case detail shows the citizen's rating.
    const detail = (await call(s.url, disp, 'GET', `/api/cases/${id}`)).json as CaseDetail;
    expect(detail.citizenRating).toEqual({ score: 4, comment: '清理及时，点赞', ts: expect.any(Number) });
    expect(detail.timeline.at(-1)).toMatchObject({ action: 'rate', actorRole: 'citizen', toStage: 'evaluated', data: { score: 4 } });
    // and people can still evaluate it once
    expect((await call(s.url, disp, 'POST', `/api/cases/${id}/transitions`, { action: 'evaluate', score: 5 })).json.evaluation).toMatchObject({ score: 5 });
  });
});

describe('keys', () => {
  it('lists keys without key material, revokes them (403 afterwards), and only for admins', async () => {
    const k = await newKey('街道 app');
    const list = await call(s.url, admin, 'GET', '/api/open311-keys');
    const text = JSON.stringify(list.json);
    expect(text).not.toContain(k.key);
    expect(list.json.find((x: { id: number }) => x.id === k.id)).toEqual({ id: k.id, name: '街道 app', source: 'citizenPhoto', createdBy: 'admin', createdAt: expect.any(Number), revokedAt: null, lastUsedAt: null, requestCount: 0, reportPage: false });
    expect(list.json.filter((x: { reportPage: boolean }) => x.reportPage)).toMatchObject([{ name: '随手拍 report page', source: 'citizenPhoto', revokedAt: null }]);
    expect((await call(s.url, disp, 'GET', '/api/open311-keys')).status).toBe(403);
    expect((await call(s.url, disp, 'POST', '/api/open311-keys', { name: 'x', source: 'hotline' })).status).toBe(403);
    expect((await call(s.url, admin, 'POST', '/api/open311-keys', { name: 'x', source: 'media' })).status).toBe(400);
    expect((await call(s.url, admin, 'DELETE', `/api/open311-keys/${k.id}`)).status).toBe(204);
    expect((await call(s.url, admin, 'DELETE', `/api/open311-keys/${k.id}`)).status).toBe(404);
    const p = spot();
    expect(specError(await postForm(`${V2}/requests.json`, { api_key: k.key, service_code: '11.01.001', lat: String(p.lat), long: String(p.lon) }), 403)).toBe('api_key has been revoked');
    const audit = (await s.app.store.sql.query<{ action: string }>('SELECT action FROM audit WHERE target = $1 ORDER BY id', [`open311Key:${k.id}`])).map((r) => r.action);
    expect(audit).toEqual(['open311Key.create', 'open311Key.revoke']);
  });

  it('rotates the report page\'s key when it is revoked', async () => {
    const list = await call(s.url, admin, 'GET', '/api/open311-keys');
    const page = list.json.find((x: { reportPage: boolean; revokedAt: number | null }) => x.reportPage && x.revokedAt === null);
    const cfg = await get('/api/report-page');
    expect(cfg.json).toEqual({ apiKey: pageKey, jurisdictionId: 'lixia', district: { name: '历下区', center: pack.meta.center, bbox: pack.meta.bbox }, photoMaxBytes: PHOTO_MAX });
    expect((await call(s.url, admin, 'DELETE', `/api/open311-keys/${page.id}`)).status).toBe(204);
    const next = (await get('/api/report-page')).json.apiKey as string;
    expect(next).not.toBe(pageKey);
    const p = spot();
    const form = { service_code: '11.01.001', lat: String(p.lat), long: String(p.lon) };
    expect(specError(await postForm(`${V2}/requests.json`, { ...form, api_key: pageKey }), 403)).toBe('api_key has been revoked');
    expect((await postForm(`${V2}/requests.json`, { ...form, api_key: next })).status).toBe(200);
    pageKey = next;
  });
});

describe('npm run admin -- open311-key', () => {
  const run = promisify(execFile);
  const dataDir = mkdtempSync(join(tmpdir(), 'cityops-o311-cli-'));
  let other: RunningServer | undefined;
  afterAll(async () => {
    await other?.close({ keepData: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints a key once that the server takes, with the source chosen', async () => {
    const bad = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'open311-key', 'x', '--source', 'media'], { env: { ...process.env, ...storeEnv(dataDir), DATA_DIR: dataDir } }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'open311-key', '12345', '热线', '--source', 'hotline'], { env: { ...process.env, ...storeEnv(dataDir), DATA_DIR: dataDir } });
    const key = /^(o311_\S+)$/m.exec(stdout)?.[1];
    expect(key, stdout).toBeDefined();
    expect(stdout).toContain('"12345 热线" (source hotline)');
    other = await startServer({ SIM_ENABLED: 'false' }, dataDir);
    const p = spot();
    const r = await fetch(`${other.url}${V2}/requests.json`, { method: 'POST', body: new URLSearchParams({ api_key: key!, service_code: '11.01.001', lat: String(p.lat), long: String(p.lon) }) });
    expect(r.status).toBe(200);
    const code = ((await r.json()) as { service_request_id: string }[])[0]!.service_request_id;
    const sql = other.app.store.sql;
    expect((await sql.one('SELECT source FROM cases WHERE code = $1', [code]))?.['source']).toBe('hotline');
    // stored as its SHA-256, never as itself
    expect((await sql.one('SELECT key_hash FROM open311_keys WHERE name = $1', ['12345 热线']))?.['key_hash']).toBe(createHash('sha256').update(key!).digest('hex'));
    const stored = JSON.stringify(await sql.query('SELECT * FROM open311_keys')) + JSON.stringify(await sql.query('SELECT * FROM audit'));
    expect(stored).not.toContain(key!);
  });
});
