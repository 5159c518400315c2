import { describe, expect, it } from 'vitest';
import type { ServiceAttribute } from '../../client/http/open311-api.ts';
import { DESCRIPTION_MAX, districtInstant, requestFields, validateDraft, type ReportDraft } from '../../client/report/report-form.ts';

/** Lixia's bbox, roughly: [w, s, e, n]. */
const BBOX = [116.99, 36.62, 117.2, 36.7] as const;

const attr = (a: Partial<ServiceAttribute> & Pick<ServiceAttribute, 'code' | 'datatype'>): ServiceAttribute => ({
  variable: true, required: false, datatype_description: '', order: 1, description: a.code, ...a,
});
const ATTRS: ServiceAttribute[] = [
  attr({ code: 'count', datatype: 'number', required: true, order: 2 }),
  attr({ code: 'kind', datatype: 'singlevaluelist', required: true, order: 1, values: [{ key: 'a', name: 'A' }, { key: 'b', name: 'B' }] }),
  attr({ code: 'smells', datatype: 'multivaluelist', order: 3, values: [{ key: 'x', name: 'X' }, { key: 'y', name: 'Y' }] }),
  attr({ code: 'since', datatype: 'datetime', order: 4 }),
  attr({ code: 'note', datatype: 'string', variable: false, required: true, order: 5 }),
];

const draft = (over: Partial<ReportDraft> = {}): ReportDraft => ({
  serviceCode: '15.01.001', lon: 117.05, lat: 36.66, description: '  井盖缺了一块  ', attributes: { count: '2', kind: 'b' }, ...over,
});

describe('validateDraft names every field that stops the report', () => {
  it('passes a complete draft', () => {
    expect(validateDraft(draft(), ATTRS, BBOX)).toEqual([]);
  });
  it('an empty draft: location, category, description', () => {
    const empty: ReportDraft = { serviceCode: null, lon: null, lat: null, description: '   ', attributes: {} };
    expect(validateDraft(empty, [], BBOX)).toEqual([
      { field: 'location', problem: 'missing' },
      { field: 'service', problem: 'missing' },
      { field: 'description', problem: 'missing' },
    ]);
  });
  it('a pin outside the district', () => {
    expect(validateDraft(draft({ lon: 116.5 }), ATTRS, BBOX)).toEqual([{ field: 'location', problem: 'outside' }]);
    expect(validateDraft(draft({ lat: 36.71 }), ATTRS, BBOX)).toEqual([{ field: 'location', problem: 'outside' }]);
  });
  it('required attributes, but not informational ones (variable: false)', () => {
    expect(validateDraft(draft({ attributes: { count: ' ' } }), ATTRS, BBOX)).toEqual([
      { field: 'attribute:count', problem: 'missing' },
      { field: 'attribute:kind', problem: 'missing' },
    ]);
  });
  it('a number that is not one, a date that is not one, a value off the list', () => {
    const bad = draft({ attributes: { count: '2 个', kind: 'z', smells: ['x', 'nope'], since: '昨天' } });
    expect(validateDraft(bad, ATTRS, BBOX)).toEqual([
      { field: 'attribute:count', problem: 'notNumber' },
      { field: 'attribute:kind', problem: 'notInList' },
      { field: 'attribute:smells', problem: 'notInList' },
      { field: 'attribute:since', problem: 'notDate' },
    ]);
  });
  it('a description over 4000 characters (counted as characters, not UTF-16 units)', () => {
    expect(validateDraft(draft({ description: '垃'.repeat(DESCRIPTION_MAX) }), ATTRS, BBOX)).toEqual([]);
    // 4000 emoji are 8000 UTF-16 units but 4000 characters: allowed.
    expect(validateDraft(draft({ description: '🚯'.repeat(DESCRIPTION_MAX) }), ATTRS, BBOX)).toEqual([]);
    expect(validateDraft(draft({ description: '垃'.repeat(DESCRIPTION_MAX + 1) }), ATTRS, BBOX)).toEqual([{ field: 'description', problem: 'tooLong' }]);
  });
});

describe('requestFields: the multipart fields of POST /requests.json', () => {
  it('sends key, code, lat/long with 6 decimals, trimmed description, attributes in their order, one field per chosen value', () => {
    const d = draft({ lon: 117.0512345678, lat: 36.6, attributes: { count: ' 3 ', kind: 'a', smells: ['y', 'x'], since: '2026-11-28T09:30' } });
    expect(requestFields(d, ATTRS, 'k-123')).toEqual([
      ['api_key', 'k-123'],
      ['service_code', '15.01.001'],
      ['lat', '36.600000'],
      ['long', '117.051235'],
      ['description', '井盖缺了一块'],
      ['attribute[kind]', 'a'],
      ['attribute[count]', '3'],
      ['attribute[smells]', 'y'],
      ['attribute[smells]', 'x'],
      // 09:30 in Jinan (UTC+8) is 01:30 UTC
      ['attribute[since]', '2026-11-28T01:30:00.000Z'],
    ]);
  });
  it('leaves out blank optional attributes', () => {
    expect(requestFields(draft({ attributes: { count: '1', kind: 'a', smells: [], since: '' } }), ATTRS, 'k').map(([n]) => n)).toEqual(['api_key', 'service_code', 'lat', 'long', 'description', 'attribute[kind]', 'attribute[count]']);
  });
  it('refuses an incomplete draft rather than sending nulls', () => {
    expect(() => requestFields(draft({ lat: null }), ATTRS, 'k')).toThrow(/not complete/);
  });
});

describe('districtInstant', () => {
  it('reads a zone-less time as Asia/Shanghai, keeps an explicit zone', () => {
    expect(districtInstant('2026-01-01T00:00')).toBe('2025-12-31T16:00:00.000Z');
    expect(districtInstant('2026-01-01T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(districtInstant('2026-01-01T08:00+09:00')).toBe('2025-12-31T23:00:00.000Z');
  });
});
