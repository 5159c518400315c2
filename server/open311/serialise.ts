/**
 * Open311 documents in JSON and XML from one description: the root element, the element of
 * each list item, and objects whose keys are already in the spec's order. Both formats walk
 * the same value, so a field can never be in one and missing from the other. XML is written
 * by hand (it is small and flat) with every text escaped; characters XML 1.0 cannot carry
 * (control characters) are dropped rather than breaking the document.
 */
import type { Open311Format } from '../../shared/open311.ts';

export const CONTENT_TYPES: Readonly<Record<Open311Format, string>> = {
  json: 'application/json; charset=utf-8',
  xml: 'text/xml; charset=utf-8',
};

/** For each list-valued element, the name of its items' element (the spec's names). */
const ITEM_ELEMENT: Readonly<Record<string, string>> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
  endpoints: 'endpoint',
  formats: 'format',
  timeline: 'entry',
  after_media_urls: 'media_url',
};

type Json = string | number | boolean | null | undefined | Json[] | { [k: string]: Json };

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text.replace(NOT_XML, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function element(name: string, value: Json): string {
  if (value === null || value === undefined) return `<${name}></${name}>`;
  if (Array.isArray(value)) {
    const item = ITEM_ELEMENT[name] ?? 'item';
    return `<${name}>${value.map((v) => element(item, v)).join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => element(k, v)).join('')}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/**
 * One document: `root` names the XML root (services, service_requests, errors,
 * service_definition, discovery); in JSON a list is an array and an object an object.
 */
export function serialise(format: Open311Format, root: string, value: unknown): string {
  if (format === 'json') return JSON.stringify(value, (_k, v: unknown) => (v === undefined ? null : v));
  return `<?xml version="1.0" encoding="utf-8"?>${element(root, value as Json)}`;
}

/** Picks `fields` of `obj` in that order: the spec's field order for both formats. */
export function ordered<T extends object, K extends keyof T>(obj: T, fields: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const f of fields) if (obj[f] !== undefined) out[f] = obj[f];
  return out;
}

export const SERVICE_FIELDS = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'] as const;
export const ATTRIBUTE_FIELDS = ['variable', 'code', 'datatype', 'required', 'datatype_description', 'order', 'description', 'values'] as const;
export const REQUEST_FIELDS = [
  'service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible', 'service_notice',
  'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url', 'extended_attributes',
] as const;
export const SUBMITTED_FIELDS = ['service_request_id', 'token', 'service_notice', 'account_id', 'rating_key'] as const;
