/**
 * Open311 pieces apart from the server: JSON and XML documents (XML read back with
 * fast-xml-parser, a parser we did not write, and compared with objects written by hand from
 * the GeoReport v2 spec's examples), the error list, W3C dates and the GET filters, the
 * repeat rule, attribute validation, the address gazetteer and the public timeline events.
 */
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DistrictPack } from '../../shared/district.ts';
import type { TimelineEntry } from '../../shared/cases.ts';
import { loadDistrictPack } from '../../server/district/load-pack.ts';
import { DistrictLocator } from '../../server/district/locator.ts';
import { HttpError } from '../../server/http-error.ts';
import { ordered, REQUEST_FIELDS, serialise, SERVICE_FIELDS, CONTENT_TYPES } from '../../server/open311/serialise.ts';
import { open311Error } from '../../server/open311/errors.ts';
import { formatLocal, parseRequestFilters, parseW3cDate } from '../../server/open311/dates.ts';
import { isRepeat, normaliseDescription, type Submission } from '../../server/open311/dedup.ts';
import { attributesFor, validateAttributes } from '../../server/open311/attributes.ts';
import { Gazetteer } from '../../server/open311/gazetteer.ts';
import { citizenReportable, publicEvent } from '../../server/open311/requests-service.ts';
import { MinuteRateLimit } from '../../server/open311/rate-limit.ts';

const parser = new XMLParser({ ignoreDeclaration: true, parseTagValue: false, trimValues: false, isArray: (name) => ['service', 'request', 'error', 'attribute', 'value', 'endpoint', 'format', 'entry'].includes(name) });
const readXml = (xml: string) => parser.parse(xml) as Record<string, unknown>;

const refusal = (fn: () => unknown): HttpError => {
  try { fn(); } catch (e) { return e as HttpError; }
  throw new Error('not refused');
};

describe('Open311 documents', () => {
  // The spec's services.xml example (wiki.open311.org/GeoReport_v2#GET_Service_List)
  const specService = {
    service_code: '001', service_name: 'Cans left out 24x7',
    description: 'Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.',
    metadata: true, type: 'realtime' as const, keywords: 'lorem, ipsum, dolor', group: 'sanitation',
  };

  it('writes the spec\'s service list as XML a standard parser reads back, elements in the spec\'s order', () => {
    const xml = serialise('xml', 'services', [ordered(specService, SERVICE_FIELDS)]);
    expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?><services><service><service_code>001</service_code><service_name>')).toBe(true);
    expect(readXml(xml)).toEqual({
      services: { service: [{
        service_code: '001', service_name: 'Cans left out 24x7',
        description: 'Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.',
        metadata: 'true', type: 'realtime', keywords: 'lorem, ipsum, dolor', group: 'sanitation',
      }] },
    });
    expect(xml.indexOf('<metadata>')).toBeLessThan(xml.indexOf('<type>'));
    expect(xml.indexOf('<keywords>')).toBeLessThan(xml.indexOf('<group>'));
  });

  it('writes the same document as JSON with the same field order', () => {
    // built in another order: the output still follows the spec's
    const { group, ...rest } = specService;
    const json = serialise('json', 'services', [ordered({ group, ...rest }, SERVICE_FIELDS)]);
    expect(json).toBe('[{"service_code":"001","service_name":"Cans left out 24x7","description":"Garbage or recycling cans that have been left out for more than 24 hours after collection. Violators will be cited.","metadata":true,"type":"realtime","keywords":"lorem, ipsum, dolor","group":"sanitation"}]');
    expect(CONTENT_TYPES).toEqual({ json: 'application/json; charset=utf-8', xml: 'text/xml; charset=utf-8' });
  });

  it('escapes <, &, quotes and keeps Chinese text in XML; drops control characters XML cannot carry', () => {
    const text = '路口 <东侧> 堆了 "很多" 建筑垃圾 & 渣土 \'今天\'\u0001';
    const xml = serialise('xml', 'service_requests', [{ service_request_id: 'LX-20261128-0042', description: text, media_url: null }]);
    expect(xml).toContain('<description>路口 &lt;东侧&gt; 堆了 &quot;很多&quot; 建筑垃圾 &amp; 渣土 &apos;今天&apos;</description>');
    expect(xml).toContain('<media_url></media_url>');
    expect(readXml(xml)).toMatchObject({ service_requests: { request: [{ service_request_id: 'LX-20261128-0042', description: '路口 <东侧> 堆了 "很多" 建筑垃圾 & 渣土 \'今天\'', media_url: '' }] } });
    const json = JSON.parse(serialise('json', 'service_requests', [{ description: text, media_url: null }])) as unknown;
    expect(json).toEqual([{ description: text, media_url: null }]);
  });

  it('nests service definition attributes and values, and discovery endpoints and formats, under the spec\'s element names', () => {
    const def = { service_code: '13.01.006', attributes: attributesFor('13.01.006', 'en') };
    expect(readXml(serialise('xml', 'service_definition', def))).toMatchObject({
      service_definition: {
        service_code: '13.01.006',
        attributes: { attribute: [{
          variable: 'true', code: 'volume', datatype: 'singlevaluelist', required: 'true', order: '1', description: 'Estimated volume',
          values: { value: [{ key: 'lt1', name: 'under 1 m³ (a tricycle load)' }, { key: '1to5', name: '1–5 m³' }, { key: 'gt5', name: 'over 5 m³ (needs a muck truck)' }] },
        }] },
      },
    });
    const disc = readXml(serialise('xml', 'discovery', {
      changeset: '2026-11-28T00:00:00+08:00', contact: '历下区 12345', key_service: 'ask',
      endpoints: [{ specification: 'http://wiki.open311.org/GeoReport_v2', url: 'https://x/open311/v2/', changeset: '2026-11-28T00:00:00+08:00', type: 'production', formats: ['text/xml', 'application/json'] }],
    }));
    expect(disc).toMatchObject({ discovery: { contact: '历下区 12345', endpoints: { endpoint: [{ specification: 'http://wiki.open311.org/GeoReport_v2', type: 'production', formats: { format: ['text/xml', 'application/json'] } }] } } });
  });

  it('orders request fields as the spec lists them, whatever order they were built in', () => {
    const built = { long: 117.1, lat: 36.6, service_request_id: 'LX-1', status: 'open' as const, media_url: null, address: 'a', zipcode: null };
    expect(Object.keys(ordered(built as never, REQUEST_FIELDS))).toEqual(['service_request_id', 'status', 'address', 'zipcode', 'lat', 'long', 'media_url']);
  });
});

describe('Open311 errors', () => {
  it('maps our refusals to the spec list with the status as code', () => {
    expect(open311Error(new HttpError(400, 'x', 'service_code is required'), 'req-1')).toEqual({ status: 400, errors: [{ code: 400, description: 'service_code is required' }] });
  });

  it('never passes a parser\'s message on (it may quote the body and its api_key); a crash names only the request id', () => {
    const parse = Object.assign(new SyntaxError('Unexpected token in JSON: {"api_key":"sekrit'), { statusCode: 400 });
    const mapped = open311Error(parse, 'req-2');
    expect(mapped.status).toBe(400);
    expect(JSON.stringify(mapped)).not.toContain('sekrit');
    expect(open311Error(Object.assign(new Error('big'), { statusCode: 413 }), 'r')).toEqual({ status: 413, errors: [{ code: 413, description: 'the request body is too large' }] });
    expect(open311Error(new TypeError('x is undefined (api_key=sekrit)'), 'req-3')).toEqual({ status: 500, errors: [{ code: 500, description: 'internal error (request req-3)' }] });
  });
});

describe('W3C dates and the GET requests filters', () => {
  const now = Date.UTC(2026, 10, 28, 2, 0); // 10:00 in Jinan
  it('reads the W3C profiles and refuses what is not one', () => {
    expect(parseW3cDate('2026-11-28T09:30:00+08:00', 0)).toBe(Date.UTC(2026, 10, 28, 1, 30));
    expect(parseW3cDate('2026-11-28T01:30:00Z', 0)).toBe(Date.UTC(2026, 10, 28, 1, 30));
    expect(parseW3cDate('2026-11-28T01:30Z', 0)).toBe(Date.UTC(2026, 10, 28, 1, 30));
    expect(parseW3cDate('2026-11-28T01:30:00.250-05:00', 0)).toBe(Date.UTC(2026, 10, 28, 6, 30, 0, 250));
    expect(parseW3cDate('2026-11-28', 480)).toBe(Date.UTC(2026, 10, 27, 16, 0));
    for (const bad of ['2026-11-28T09:30:00', '2026-02-30', '2026-13-01', '28/11/2026', '2026-11-28T24:00:00Z', 'yesterday', '']) expect(parseW3cDate(bad, 0), bad).toBeNull();
  });

  it('writes times in the district\'s offset', () => {
    expect(formatLocal(Date.UTC(2026, 10, 28, 1, 30, 5), 'Asia/Shanghai')).toBe('2026-11-28T09:30:05+08:00');
    expect(formatLocal(Date.UTC(2026, 10, 28, 20, 0), 'Asia/Shanghai')).toBe('2026-11-29T04:00:00+08:00');
  });

  it('defaults to the last 90 days, takes comma lists, and names a bad parameter', () => {
    expect(parseRequestFilters({}, now, 'Asia/Shanghai', 1000)).toEqual({ ids: null, serviceCodes: null, status: null, start: now + 1 - 90 * 86_400_000, end: now + 1, limit: 1000 });
    expect(parseRequestFilters({ service_request_id: 'LX-1, LX-2', service_code: '11.01.001,13.01.006', status: 'open' }, now, 'Asia/Shanghai', 5))
      .toMatchObject({ ids: ['LX-1', 'LX-2'], serviceCodes: ['11.01.001', '13.01.006'], status: ['open'], limit: 5 });
    expect(parseRequestFilters({ start_date: '2026-11-01' }, now, 'Asia/Shanghai', 10)).toMatchObject({ start: Date.UTC(2026, 9, 31, 16), end: Date.UTC(2026, 9, 31, 16) + 90 * 86_400_000 });
    expect(refusal(() => parseRequestFilters({ start_date: '2026-11-01T10:00' }, now, 'Asia/Shanghai', 10)).message).toBe('start_date: "2026-11-01T10:00" is not a W3C datetime (e.g. 2026-11-28T09:30:00+08:00 or 2026-11-28)');
    expect(refusal(() => parseRequestFilters({ end_date: 'soon' }, now, 'Asia/Shanghai', 10)).message).toMatch(/^end_date: "soon" is not a W3C datetime/);
    expect(refusal(() => parseRequestFilters({ service_request_id: 'a,b,c' }, now, 'Asia/Shanghai', 2)).message).toBe('service_request_id: at most 2 ids at once, got 3');
    expect(refusal(() => parseRequestFilters({ status: 'open,pending' }, now, 'Asia/Shanghai', 10)).message).toBe('status: "pending" is not open or closed');
    expect(refusal(() => parseRequestFilters({ start_date: '2026-11-10', end_date: '2026-11-01' }, now, 'Asia/Shanghai', 10)).message).toBe('start_date must be before end_date');
  });
});

describe('the repeat rule', () => {
  const base: Submission = { keyId: 1, serviceCode: '11.01.001', lon: 117.089, lat: 36.651, addressString: null, description: '路边有一堆垃圾。', ts: 1_000_000 };
  // 0.0001° of latitude is 11.1 m; 0.0003° is 33.4 m
  it('is the same key, service, place within 30 m and description, within 10 minutes', () => {
    expect(isRepeat(base, { ...base, lat: base.lat + 0.0002, ts: base.ts + 9 * 60_000, description: '路边有一堆垃圾' })).toBe(true);
    expect(isRepeat(base, { ...base, description: ' 路边 有一堆垃圾！ ' })).toBe(true);
    expect(isRepeat(base, { ...base, lat: base.lat + 0.0003 })).toBe(false);
    expect(isRepeat(base, { ...base, ts: base.ts + 10 * 60_000 + 1 })).toBe(false);
    expect(isRepeat(base, { ...base, keyId: 2 })).toBe(false);
    expect(isRepeat(base, { ...base, serviceCode: '11.01.002' })).toBe(false);
    expect(isRepeat(base, { ...base, description: '路边有两堆垃圾' })).toBe(false);
  });

  it('compares address strings when both requests were placed by address', () => {
    const a = { ...base, addressString: '文化东路 88 号' };
    expect(isRepeat(a, { ...a, addressString: '文化东路88号', lon: base.lon + 0.01 })).toBe(true);
    expect(isRepeat(a, { ...a, addressString: '文化东路 90 号' })).toBe(false);
    expect(normaliseDescription('ＡＢＣ，  d e')).toBe('abcde');
  });
});

describe('service attributes', () => {
  it('are data: a subclass\'s attributes apply to its items, an item\'s own win, most items have none', () => {
    expect(attributesFor('01.01.004', 'zh').map((a) => a.code)).toEqual(['cover_state', 'on_carriageway']);
    expect(attributesFor('15.01.001', 'en')[0]).toEqual({
      variable: true, code: 'cover_state', datatype: 'singlevaluelist', required: true, datatype_description: 'one key from the list', order: 1,
      description: 'State of the cover', values: [{ key: 'missing', name: 'missing' }, { key: 'broken', name: 'broken' }, { key: 'displaced', name: 'displaced or sunken' }],
    });
    expect(attributesFor('12.01.001', 'zh')).toEqual([]);
  });

  it('validates values against the definition and names the attribute it refuses', () => {
    expect(validateAttributes('13.01.006', { volume: 'gt5' })).toEqual({ volume: 'gt5' });
    expect(validateAttributes('03.01.005', { bin_state: ['overflow', 'odour', 'overflow'] })).toEqual({ bin_state: ['overflow', 'odour'] });
    expect(validateAttributes('15.01.004', { depth_cm: '35' })).toEqual({ depth_cm: 35 });
    expect(validateAttributes('15.01.004', {})).toEqual({});
    expect(refusal(() => validateAttributes('13.01.006', {})).message).toBe('attribute[volume] is required for service 13.01.006 (Estimated volume)');
    expect(refusal(() => validateAttributes('13.01.006', { volume: 'huge' })).message).toBe('attribute[volume]: "huge" is not one of lt1, 1to5, gt5');
    expect(refusal(() => validateAttributes('13.01.006', { volume: ['lt1', 'gt5'] })).message).toBe('attribute[volume] takes one value, got 2');
    expect(refusal(() => validateAttributes('03.01.005', { bin_state: ['overflow', 'on fire'] })).message).toBe('attribute[bin_state]: "on fire" is not one of overflow, damaged, missing, odour');
    expect(refusal(() => validateAttributes('15.01.004', { depth_cm: '35cm' })).message).toBe('attribute[depth_cm] must be a number, got "35cm"');
    expect(refusal(() => validateAttributes('13.01.001', { started_at: '11pm' })).message).toMatch(/^attribute\[started_at\] must be a W3C datetime/);
    expect(refusal(() => validateAttributes('12.01.001', { colour: 'red' })).message).toBe('attribute[colour]: service 12.01.001 has no attribute colour (its attributes: none)');
    expect(refusal(() => validateAttributes('14.02.001', { plate: 'x'.repeat(101) })).message).toBe('attribute[plate] is longer than 100 characters');
    expect(refusal(() => validateAttributes('13.01.006', {})).statusCode).toBe(400);
  });
});

describe('the address gazetteer and the services citizens may report', () => {
  let pack: DistrictPack;
  let gaz: Gazetteer;
  let locator: DistrictLocator;
  beforeAll(async () => {
    pack = await loadDistrictPack('data/lixia');
    locator = new DistrictLocator(pack);
    gaz = new Gazetteer(pack, locator);
  });

  it('places a text by the longest district name in it, at a point inside the district', () => {
    const community = pack.communities.features[0]!.properties.name;
    const hit = gaz.locate(`${community}3号楼门口`);
    expect(hit).toMatchObject({ name: community, kind: 'community' });
    expect(locator.locate(hit!.lon, hit!.lat)?.communityCode).toBe(pack.communities.features[0]!.properties.code);
    const mark = pack.landmarks.features.find((f) => f.properties.name === '泉城广场')!;
    expect(gaz.locate('泉城广场东南角')).toMatchObject({ kind: 'landmark', lon: mark.geometry.coordinates[0], lat: mark.geometry.coordinates[1] });
    const road = gaz.locate('奥体西路与经十路路口往北');
    expect(road?.kind).toBe('road');
    expect(locator.inDistrict(road!.lon, road!.lat)).toBe(true);
    expect(gaz.locate('北京市海淀区中关村')).toBeNull();
  });

  it('leaves out items only devices and the fleet raise (offline device, staff SOS, crew rules)', () => {
    const left = pack.taxonomy!.items.filter((i) => !citizenReportable(i)).map((i) => i.code);
    expect(left).toEqual(['03.02.005', '15.02.001', '16.01.001', '16.01.002', '16.01.003', '16.01.004']);
  });

  it('turns a case timeline into public events, never naming who acted', () => {
    const e = (action: TimelineEntry['action'], toStage: TimelineEntry['toStage'] = null): TimelineEntry => ({ id: 1, caseId: 1, ts: 0, actor: '张三', actorRole: 'dispatcher', action, fromStage: null, toStage, note: '内部备注', data: null });
    expect(['report', 'register', 'dispatch', 'accept', 'enRoute', 'arrive', 'feedback', 'verifyPass', 'close', 'rate', 'note', 'escalate', 'clockBreach'].map((a) => publicEvent(e(a as TimelineEntry['action']))))
      .toEqual(['received', 'registered', 'dispatched', 'handling', 'handling', 'handling', 'handled', 'verified', 'closed', 'rated', null, null, null]);
    expect(publicEvent(e('approve', 'voided'))).toBe('voided');
    expect(publicEvent(e('approve', 'registered'))).toBeNull();
  });
});

describe('the per-minute rate limit', () => {
  it('lets N a minute through per bucket, says how long to wait, and starts again with the next minute', () => {
    let t = Date.UTC(2026, 10, 28, 2, 0, 15);
    const limit = new MinuteRateLimit(3, () => t);
    expect([limit.take('k1'), limit.take('k1'), limit.take('k1')]).toEqual([0, 0, 0]);
    expect(limit.take('k1')).toBe(45);
    expect(limit.take('k2')).toBe(0);
    t += 44_500;
    expect(limit.take('k1')).toBe(1);
    t += 500; // 02:01:00, a new minute
    expect([limit.take('k1'), limit.take('k1'), limit.take('k1'), limit.take('k1')]).toEqual([0, 0, 0, 60]);
  });
});
