/**
 * Validation of the optional operations parts of a district pack: the case taxonomy,
 * the organisations cases are assigned to, the work calendar and the restricted zones.
 * Like the other parts, a problem is reported with the file and the item at fault.
 */
import { isAlarmType } from '../../shared/alarms.ts';
import { CASE_DIFFICULTIES, type CaseTaxonomy, type Organisation } from '../../shared/cases.ts';
import type { DistrictPack, OptionalPackPart, RestrictedZoneProps } from '../../shared/district.ts';
import { UNIT_SKILLS } from '../../shared/dispatch.ts';
import type { MultiPolygonGeometry, PolygonGeometry } from '../../shared/geojson.ts';
import type { WorkCalendar } from '../../shared/sla.ts';
import { DistrictPackError, itemLabel } from './pack-error.ts';
import { checkCollection, isObject, uniqueBy, type Bbox, type Json } from './validate-geojson.ts';

export const OPTIONAL_PACK_PARTS = ['taxonomy', 'organisations', 'calendar', 'restrictedZones', 'party'] as const satisfies readonly OptionalPackPart[];

type Fail = (problem: string) => never;
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const CATEGORIES = ['component', 'event'];
const ZONE_KINDS = ['scenic', 'school', 'hospital', 'residential', 'other'];

function eachItem(list: unknown, file: string, what: string, key: string, check: (item: Json, fail: Fail) => void): Json[] {
  if (!Array.isArray(list)) throw new DistrictPackError(file, `${what} must be a JSON array`);
  list.forEach((item, i) => {
    const label = `${what} ${itemLabel('item', i, key, isObject(item) ? item[key] : undefined)}`;
    const fail: Fail = (problem) => { throw new DistrictPackError(file, problem, label); };
    if (!isObject(item)) fail('must be a JSON object');
    for (const k of [key, 'name', 'nameEn']) if (!nonEmpty((item as Json)[k])) fail(`${k} must be a non-empty string`);
    check(item as Json, fail);
  });
  uniqueBy(list as Json[], (item) => item[key] as string, file, 'item', key);
  return list as Json[];
}

export function validateOrganisations(value: unknown, file: string, streetCodes: ReadonlySet<string>): Organisation[] {
  const orgs = eachItem(value, file, 'organisations', 'code', (o, fail) => {
    if (o.type !== 'street' && o.type !== 'department') fail(`type ${JSON.stringify(o.type)} must be "street" or "department"`);
    if (o.type === 'street' && !streetCodes.has(o.code as string)) fail(`street ${String(o.code)} is not a street of streets.geojson`);
    if (o.streetLevel !== undefined && (o.type !== 'department' || typeof o.streetLevel !== 'boolean')) fail('streetLevel must be true or false, on a department only');
  });
  const listed = new Set(orgs.filter((o) => o.type === 'street').map((o) => o.code as string));
  for (const code of streetCodes) if (!listed.has(code)) throw new DistrictPackError(file, `street ${code} of streets.geojson is missing (every street must be an organisation)`);
  return orgs as unknown as Organisation[];
}

export function validateTaxonomy(value: unknown, file: string, deptCodes: ReadonlySet<string> | undefined): CaseTaxonomy {
  if (!isObject(value)) throw new DistrictPackError(file, 'must be an object with "classes" and "items" arrays');
  const classes = eachItem(value.classes, file, 'classes', 'code', (c, fail) => {
    if (!CATEGORIES.includes(c.category as string)) fail(`category ${JSON.stringify(c.category)} must be "component" or "event"`);
  });
  const classCategory = new Map(classes.map((c) => [c.code as string, c.category as string]));
  const subclassCodes = new Set<string>();
  if (value.subclasses !== undefined) {
    eachItem(value.subclasses, file, 'subclasses', 'code', (s, fail) => {
      if (!classCategory.has(s.classCode as string)) fail(`unknown classCode ${JSON.stringify(s.classCode)}`);
      if (!(s.code as string).startsWith(`${String(s.classCode)}.`)) fail(`subclass code ${String(s.code)} is not under its class ${String(s.classCode)}`);
      if (typeof s.roadChecklist !== 'boolean') fail('roadChecklist must be true or false');
      subclassCodes.add(s.code as string);
    });
  }
  eachItem(value.items, file, 'items', 'code', (it, fail) => {
    const code = it.code as string;
    const category = classCategory.get(it.classCode as string);
    if (category === undefined) fail(`unknown classCode ${JSON.stringify(it.classCode)}`);
    if (!code.startsWith(`${String(it.classCode)}.`)) fail(`item code ${code} is not under its class ${String(it.classCode)}`);
    if (subclassCodes.size > 0 && !subclassCodes.has(code.split('.').slice(0, 2).join('.'))) fail(`item code ${code} is not under any subclass`);
    if (it.category !== category) fail(`category ${JSON.stringify(it.category)} differs from its class's (${String(category)})`);
    if (!(CASE_DIFFICULTIES as readonly unknown[]).includes(it.difficulty)) fail(`difficulty ${JSON.stringify(it.difficulty)} must be one of ${CASE_DIFFICULTIES.join(', ')}`);
    if (!nonEmpty(it.deptCode)) fail('deptCode must be a non-empty string');
    if (deptCodes && !deptCodes.has(it.deptCode as string)) fail(`deptCode ${String(it.deptCode)} is not a department of the organisations`);
    if (typeof it.emergency !== 'boolean') fail('emergency must be true or false');
    if (typeof it.roadChecklist !== 'boolean') fail('roadChecklist must be true or false');
    if (!Array.isArray(it.skills)) fail('skills must be an array');
    for (const s of it.skills as unknown[]) if (!(UNIT_SKILLS as readonly unknown[]).includes(s)) fail(`skill ${JSON.stringify(s)} is not one of ${UNIT_SKILLS.join(', ')}`);
    if (it.alarmTypes !== undefined) {
      if (!Array.isArray(it.alarmTypes)) fail('alarmTypes must be an array');
      for (const a of it.alarmTypes as unknown[]) if (!isAlarmType(a)) fail(`alarm type ${JSON.stringify(a)} is unknown`);
    }
  });
  const byAlarm = new Map<string, string>();
  for (const it of value.items as Json[]) for (const a of (it.alarmTypes as string[] | undefined) ?? []) {
    const before = byAlarm.get(a);
    if (before) throw new DistrictPackError(file, `alarm type ${a} is mapped twice (also item ${before})`, `items item (code ${String(it.code)})`);
    byAlarm.set(a, it.code as string);
  }
  return value as unknown as CaseTaxonomy;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (v: unknown): boolean => typeof v === 'string' && DATE.test(v) && new Date(`${v}T00:00:00Z`).toISOString().slice(0, 10) === v;

export function validateCalendar(value: unknown, file: string): WorkCalendar {
  if (!isObject(value)) throw new DistrictPackError(file, 'must be an object with "holidays" and "workdays" arrays of YYYY-MM-DD dates');
  const seen = new Map<string, string>();
  for (const key of ['holidays', 'workdays'] as const) {
    const list = value[key];
    if (!Array.isArray(list)) throw new DistrictPackError(file, `${key} must be an array of YYYY-MM-DD dates`);
    list.forEach((d, i) => {
      const label = `${key} item #${i}`;
      if (!isDate(d)) throw new DistrictPackError(file, `${JSON.stringify(d)} is not a YYYY-MM-DD date`, label);
      const before = seen.get(d as string);
      if (before) throw new DistrictPackError(file, `${String(d)} is listed twice (also in ${before})`, label);
      seen.set(d as string, key);
    });
  }
  return value as unknown as WorkCalendar;
}

export function validateRestrictedZones(value: unknown, file: string, bbox: Bbox): DistrictPack['restrictedZones'] {
  const zones = checkCollection<PolygonGeometry | MultiPolygonGeometry, RestrictedZoneProps>(value, {
    file, bbox, geometry: ['Polygon', 'MultiPolygon'], idKey: 'id',
    properties: (p, fail) => {
      if (!nonEmpty(p.id)) fail('properties.id must be a non-empty string');
      if (!nonEmpty(p.name)) fail('properties.name must be a non-empty string');
      if (!ZONE_KINDS.includes(p.kind as string)) fail(`kind ${JSON.stringify(p.kind)} is not one of ${ZONE_KINDS.join(', ')}`);
    },
  });
  uniqueBy(zones.features, (p) => p.id, file, 'feature', 'id');
  return zones;
}
