/**
 * The citizen report page's side of the Open311 GeoReport v2 API (/open311/v2/, JSON) and the
 * page's own public configuration (/api/report-page). No login: the api_key is the page's
 * public key from /api/report-page. The server owns the full schemas (shared/open311.ts); these
 * are the narrow shapes this page reads.
 */
import type { DistrictGeometry } from '../../shared/district.ts';

export interface ReportPageConfig {
  apiKey: string;
  jurisdictionId: string;
  district: { name: string; center: [number, number]; bbox: [number, number, number, number] };
  photoMaxBytes: number;
}

export interface Open311Service {
  service_code: string;
  service_name: string;
  description: string;
  metadata: boolean;
  type: string;
  keywords: string;
  group: string;
}

export type AttributeDatatype = 'string' | 'number' | 'text' | 'singlevaluelist' | 'multivaluelist' | 'datetime';

export interface ServiceAttribute {
  variable: boolean;
  code: string;
  datatype: AttributeDatatype;
  required: boolean;
  datatype_description: string;
  order: number;
  description: string;
  values?: { key: string; name: string }[];
}

export interface ServiceDefinition { service_code: string; attributes: ServiceAttribute[] }

export interface RequestCreated {
  service_request_id: string;
  token?: string;
  service_notice?: string;
  account_id?: string | null;
  rating_key?: string;
}

export const TIMELINE_EVENTS = ['received', 'registered', 'dispatched', 'handling', 'handled', 'verified', 'closed', 'rated', 'voided'] as const;
export type TimelineEvent = (typeof TIMELINE_EVENTS)[number];

export interface RequestRating { score: number; comment?: string | null; datetime: string }

export interface ServiceRequest {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string;
  service_code: string;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  requested_datetime: string;
  updated_datetime: string | null;
  expected_datetime: string | null;
  address: string | null;
  lat: number;
  long: number;
  media_url: string | null;
  extended_attributes?: {
    stage: string;
    timeline: { event: TimelineEvent; datetime: string }[];
    after_media_urls: string[];
    rating: RequestRating | null;
  };
}

/** A refusal from the server, with its own words (`description`) to show to the citizen. */
export class Open311Error extends Error {
  override name = 'Open311Error';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The request never got an answer (offline, timed out): the form stays as it is and may be sent again. */
export class NetworkError extends Error {
  override name = 'NetworkError';
}

const TIMEOUT_MS = 30_000;
/** A photo on a slow mobile uplink takes longer than a JSON call. */
const UPLOAD_TIMEOUT_MS = 120_000;

async function call<T>(url: string, init: RequestInit = {}, timeoutMs = TIMEOUT_MS): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), ...init });
  } catch (err) {
    throw new NetworkError(err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) throw await refusal(res);
  return (await res.json()) as T;
}

/** GeoReport v2 errors are `[{ code, description }]`; anything else still becomes a readable error. */
async function refusal(res: Response): Promise<Open311Error> {
  try {
    const body = (await res.json()) as unknown;
    const first = Array.isArray(body) ? (body[0] as { code?: unknown; description?: unknown } | undefined) : undefined;
    if (first && typeof first.description === 'string') return new Open311Error(res.status, String(first.code ?? res.status), first.description);
    const err = (body as { error?: { code?: string; message?: string } }).error;
    if (err?.message) return new Open311Error(res.status, err.code ?? String(res.status), err.message);
  } catch {
    // not JSON
  }
  return new Open311Error(res.status, String(res.status), res.statusText || `HTTP ${res.status}`);
}

/**
 * POST /requests.json with upload progress: fetch() reports none, and a 300 kB photo on a weak
 * mobile signal takes long enough that a silent button looks broken.
 */
function submitWithProgress(form: FormData, onProgress: (fraction: number) => void): Promise<RequestCreated[]> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/open311/v2/requests.json');
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new NetworkError('network error'));
    xhr.ontimeout = () => reject(new NetworkError('timed out'));
    xhr.onabort = () => reject(new NetworkError('aborted'));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText });
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as RequestCreated[]);
        } catch {
          reject(new Open311Error(xhr.status, 'bad_response', 'unreadable answer'));
        }
      } else refusal(res).then(reject, reject);
    };
    xhr.send(form);
  });
}

export const open311 = {
  config: () => call<ReportPageConfig>('/api/report-page'),
  /** The public basemap (no login), for the pin map and for naming where the pin is. */
  basemap: () => call<DistrictGeometry>('/api/basemap'),
  services: (locale: 'zh' | 'en') => call<Open311Service[]>(`/open311/v2/services.json?locale=${locale}`),
  definition: (code: string, locale: 'zh' | 'en') => call<ServiceDefinition>(`/open311/v2/services/${encodeURIComponent(code)}.json?locale=${locale}`),
  submit: submitWithProgress,
  request: async (id: string): Promise<ServiceRequest | null> => {
    try {
      const list = await call<ServiceRequest[]>(`/open311/v2/requests/${encodeURIComponent(id)}.json?extensions=true`);
      return list[0] ?? null;
    } catch (err) {
      if (err instanceof Open311Error && err.status === 404) return null;
      throw err;
    }
  },
  rate: (id: string, body: { rating_key: string; score: number; comment?: string }) =>
    call<unknown>(`/open311/v2/requests/${encodeURIComponent(id)}/rating.json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
};
