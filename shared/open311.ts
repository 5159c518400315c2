/**
 * Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) as this server speaks it: the
 * shapes of services, service definitions, service requests and errors, with the field
 * order the spec's examples use (JSON and XML are written from the same order).
 * Extensions: `extended_attributes` on requests (the report page's status view) and the
 * rating (评议) of a closed request with the `rating_key` returned at submission.
 */
import type { CaseSource } from './cases.ts';

export const OPEN311_SPEC_URL = 'http://wiki.open311.org/GeoReport_v2';

/** The channels an API key may report for; chosen when the key is issued. */
export const OPEN311_KEY_SOURCES = ['citizenPhoto', 'hotline'] as const satisfies readonly CaseSource[];
export type Open311KeySource = (typeof OPEN311_KEY_SOURCES)[number];

/** Case sources whose cases are public service requests (GET requests lists them); the others are internal work. */
export const OPEN311_PUBLIC_SOURCES: readonly CaseSource[] = ['citizenPhoto', 'hotline', 'media'];

export type Open311Format = 'json' | 'xml';

export interface Open311Error { code: number; description: string }

export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  metadata: boolean;
  type: 'realtime' | 'batch' | 'blackbox';
  keywords: string;
  group: string;
}

export const OPEN311_DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'] as const;
export type Open311Datatype = (typeof OPEN311_DATATYPES)[number];

export interface Open311AttributeValue { key: string; name: string }

export interface Open311Attribute {
  variable: boolean;
  code: string;
  datatype: Open311Datatype;
  required: boolean;
  datatype_description: string;
  order: number;
  description: string;
  values: Open311AttributeValue[];
}

export interface Open311ServiceDefinition { service_code: string; attributes: Open311Attribute[] }

/** The public stage of a request, for the status page's timeline. */
export const OPEN311_EVENTS = ['received', 'registered', 'dispatched', 'handling', 'handled', 'verified', 'closed', 'rated', 'voided'] as const;
export type Open311Event = (typeof OPEN311_EVENTS)[number];

export interface Open311ExtendedAttributes {
  stage: string;
  timeline: { event: Open311Event; datetime: string }[];
  after_media_urls: string[];
  rating: { score: number; comment: string | null; datetime: string } | null;
}

export interface Open311Request {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string;
  service_name: string;
  service_code: string;
  description: string;
  agency_responsible: string;
  service_notice: string;
  requested_datetime: string;
  updated_datetime: string;
  expected_datetime: string | null;
  address: string;
  address_id: string | null;
  zipcode: string | null;
  lat: number;
  long: number;
  media_url: string | null;
  extended_attributes?: Open311ExtendedAttributes;
}

/** The answer to POST requests: the case number at once (we never answer with only a token). */
export interface Open311Submitted {
  service_request_id: string;
  token: string;
  service_notice: string;
  account_id: string | null;
  /** Extension: lets the submitter rate the result (POST requests/{id}/rating); shown once, stored hashed. */
  rating_key: string | null;
}

export interface Open311Token { service_request_id: string; token: string }

export interface Open311Discovery {
  changeset: string;
  contact: string;
  key_service: string;
  endpoints: { specification: string; url: string; changeset: string; type: 'production' | 'test'; formats: string[] }[];
}

/** An API key as the admin API lists it: never the key itself. */
export interface Open311Key {
  id: number;
  name: string;
  source: Open311KeySource;
  createdBy: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  requestCount: number;
  /** The report page's own key (derived from the server secret, rotated by revoking it). */
  reportPage: boolean;
}

/** Public configuration of the citizen report page (GET /api/report-page). */
export interface ReportPageConfig {
  apiKey: string;
  jurisdictionId: string;
  district: { name: string; center: [number, number]; bbox: [number, number, number, number] };
  photoMaxBytes: number;
}
