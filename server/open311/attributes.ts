/**
 * The extra facts (Open311 service attributes) some categories need before a crew can go:
 * data, keyed by taxonomy item code, subclass ("01.01") or class ("03"); the most specific
 * key wins. Each attribute has a Chinese and an English wording; the service definition is
 * written in the caller's language. `validateAttributes` checks a request's `attribute[code]`
 * values against the definition and names the attribute it refuses.
 */
import type { Open311Attribute, Open311Datatype } from '../../shared/open311.ts';
import { refuse } from './errors.ts';
import { parseW3cDate } from './dates.ts';

interface Bilingual { zh: string; en: string }
interface AttributeSpec {
  code: string;
  datatype: Open311Datatype;
  required: boolean;
  description: Bilingual;
  datatypeDescription?: Bilingual;
  values?: { key: string; name: Bilingual }[];
}

const v = (key: string, zh: string, en: string) => ({ key, name: { zh, en } });

const MANHOLE_STATE: AttributeSpec = {
  code: 'cover_state', datatype: 'singlevaluelist', required: true,
  description: { zh: '井盖情况', en: 'State of the cover' },
  values: [v('missing', '缺失', 'missing'), v('broken', '破损', 'broken'), v('displaced', '移位或下沉', 'displaced or sunken')],
};
const MANHOLE_TRAFFIC: AttributeSpec = {
  code: 'on_carriageway', datatype: 'singlevaluelist', required: false,
  description: { zh: '是否位于机动车道', en: 'Is it on the carriageway?' },
  values: [v('yes', '是', 'yes'), v('no', '否', 'no')],
};
const BIN_STATE: AttributeSpec = {
  code: 'bin_state', datatype: 'multivaluelist', required: true,
  description: { zh: '垃圾桶/果皮箱情况（可多选）', en: 'What is wrong with the bin (one or more)' },
  values: [v('overflow', '满溢', 'overflowing'), v('damaged', '破损', 'damaged'), v('missing', '缺失', 'missing'), v('odour', '异味', 'smells')],
};

/** Keyed by item code, subclass or class code. */
export const ATTRIBUTE_TABLE: Readonly<Record<string, readonly AttributeSpec[]>> = {
  // 井盖: the subclass of manhole covers and the emergency "cover missing or broken"
  '01.01': [MANHOLE_STATE, MANHOLE_TRAFFIC],
  '15.01.001': [MANHOLE_STATE, MANHOLE_TRAFFIC],
  // 果皮箱 / 垃圾桶 and overflow
  '03.01.001': [BIN_STATE], '03.01.002': [BIN_STATE], '03.01.003': [BIN_STATE], '03.01.004': [BIN_STATE], '03.01.005': [BIN_STATE],
  // 施工废料乱堆 / 积存垃圾渣土: how much, so the right vehicle goes
  '13.01.006': [{
    code: 'volume', datatype: 'singlevaluelist', required: true,
    description: { zh: '估计方量', en: 'Estimated volume' },
    values: [v('lt1', '1 立方米以下（三轮车可运）', 'under 1 m³ (a tricycle load)'), v('1to5', '1–5 立方米', '1–5 m³'), v('gt5', '5 立方米以上（需渣土车）', 'over 5 m³ (needs a muck truck)')],
  }],
  '11.01.002': [{
    code: 'volume', datatype: 'singlevaluelist', required: false,
    description: { zh: '估计方量', en: 'Estimated volume' },
    values: [v('lt1', '1 立方米以下', 'under 1 m³'), v('1to5', '1–5 立方米', '1–5 m³'), v('gt5', '5 立方米以上', 'over 5 m³')],
  }],
  // 道路积水: how deep
  '15.01.004': [{
    code: 'depth_cm', datatype: 'number', required: false,
    description: { zh: '积水深度（厘米）', en: 'Water depth (cm)' },
    datatypeDescription: { zh: '0 到 200 之间的数字', en: 'a number from 0 to 200' },
  }],
  // 机动车乱停放 / 僵尸车: the plate if visible
  '14.02.001': [{ code: 'plate', datatype: 'string', required: false, description: { zh: '车牌号（如可见）', en: 'Number plate (if visible)' } }],
  '14.02.004': [{ code: 'plate', datatype: 'string', required: false, description: { zh: '车牌号（如可见）', en: 'Number plate (if visible)' } }],
  // 夜间施工噪声: since when
  '13.01.001': [{
    code: 'started_at', datatype: 'datetime', required: false,
    description: { zh: '噪声开始时间', en: 'When the noise started' },
    datatypeDescription: { zh: 'W3C 日期时间，例如 2026-11-28T23:10:00+08:00', en: 'a W3C datetime, e.g. 2026-11-28T23:10:00+08:00' },
  }],
};

const DEFAULT_DATATYPE_DESCRIPTION: Readonly<Record<Open311Datatype, Bilingual>> = {
  string: { zh: '文字，至多 100 字', en: 'text, at most 100 characters' },
  text: { zh: '文字，至多 1000 字', en: 'text, at most 1000 characters' },
  number: { zh: '数字', en: 'a number' },
  datetime: { zh: 'W3C 日期时间', en: 'a W3C datetime' },
  singlevaluelist: { zh: '从列表中选一项（填 key）', en: 'one key from the list' },
  multivaluelist: { zh: '从列表中选一项或多项（填 key，可重复 attribute[code][]）', en: 'one or more keys from the list (repeat attribute[code][])' },
};
const MAX_LEN: Partial<Record<Open311Datatype, number>> = { string: 100, text: 1000 };

/** The attribute specs of an item: its own, else its subclass's, else its class's; none for most items. */
export function attributeSpecsFor(itemCode: string): readonly AttributeSpec[] {
  const parts = itemCode.split('.');
  for (let n = parts.length; n > 0; n--) {
    const specs = ATTRIBUTE_TABLE[parts.slice(0, n).join('.')];
    if (specs) return specs;
  }
  return [];
}

export function attributesFor(itemCode: string, locale: 'zh' | 'en'): Open311Attribute[] {
  return attributeSpecsFor(itemCode).map((s, i) => ({
    variable: true,
    code: s.code,
    datatype: s.datatype,
    required: s.required,
    datatype_description: (s.datatypeDescription ?? DEFAULT_DATATYPE_DESCRIPTION[s.datatype])[locale],
    order: i + 1,
    description: s.description[locale],
    values: (s.values ?? []).map((x) => ({ key: x.key, name: x.name[locale] })),
  }));
}

export type AttributeInput = Record<string, string | string[]>;
export type AttributeValues = Record<string, string | number | string[]>;

/** Checks the request's attributes against the item's definition; returns them typed. Refuses (400) naming the attribute. */
export function validateAttributes(itemCode: string, input: AttributeInput): AttributeValues {
  const specs = attributeSpecsFor(itemCode);
  const byCode = new Map(specs.map((s) => [s.code, s]));
  for (const code of Object.keys(input)) {
    if (!byCode.has(code)) {
      const known = specs.length ? specs.map((s) => s.code).join(', ') : 'none';
      throw refuse(400, `attribute[${code}]: service ${itemCode} has no attribute ${code} (its attributes: ${known})`);
    }
  }
  const out: AttributeValues = {};
  for (const s of specs) {
    const raw = input[s.code];
    const list = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((x) => x.trim()).filter((x) => x !== '');
    if (list.length === 0) {
      if (s.required) throw refuse(400, `attribute[${s.code}] is required for service ${itemCode} (${s.description.en})`);
      continue;
    }
    const keys = (s.values ?? []).map((x) => x.key);
    const name = `attribute[${s.code}]`;
    if (s.datatype !== 'multivaluelist' && list.length > 1) throw refuse(400, `${name} takes one value, got ${list.length}`);
    const one = list[0]!;
    switch (s.datatype) {
      case 'singlevaluelist':
        if (!keys.includes(one)) throw refuse(400, `${name}: ${JSON.stringify(one)} is not one of ${keys.join(', ')}`);
        out[s.code] = one;
        break;
      case 'multivaluelist': {
        const bad = list.find((x) => !keys.includes(x));
        if (bad !== undefined) throw refuse(400, `${name}: ${JSON.stringify(bad)} is not one of ${keys.join(', ')}`);
        out[s.code] = [...new Set(list)];
        break;
      }
      case 'number': {
        const n = Number(one);
        if (!/^-?\d+(\.\d+)?$/.test(one) || !Number.isFinite(n)) throw refuse(400, `${name} must be a number, got ${JSON.stringify(one)}`);
        out[s.code] = n;
        break;
      }
      case 'datetime':
        if (parseW3cDate(one, 0) === null) throw refuse(400, `${name} must be a W3C datetime (e.g. 2026-11-28T23:10:00+08:00), got ${JSON.stringify(one)}`);
        out[s.code] = one;
        break;
      default: {
        const max = MAX_LEN[s.datatype] ?? 100;
        if ([...one].length > max) throw refuse(400, `${name} is longer than ${max} characters`);
        out[s.code] = one;
      }
    }
  }
  return out;
}
