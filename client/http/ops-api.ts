/** The duty console's calls to the cases, alarms and dispatch API (Bearer token, JSON, 409 when someone acted first). */
import type { Alarm } from '../../shared/alarms.ts';
import type { CaseDetail, CaseRequestKind, CaseSummary, CaseTaxonomy, Organisation } from '../../shared/cases.ts';
import type { CoverageResult, RecommendationList } from '../../shared/dispatch.ts';
import type { Static } from 'typebox';
import type { ReporterSchema } from '../../shared/schemas/open311.ts';
import { apiFetch } from './api.ts';

/** The private contact a citizen left with an Open311 request (every read is audited). */
export type Reporter = Static<typeof ReporterSchema>;

export type TransitionAction = 'register' | 'verifyPass' | 'verifyFail' | 'close' | 'evaluate' | 'note' | 'escalate';

const post = <T>(path: string, token: string | null, body: unknown = {}) => apiFetch<T>(path, token, { method: 'POST', body: JSON.stringify(body) });

export function opsApi(token: () => string | null) {
  return {
    cases: (query: Record<string, string> = { open: 'true' }) => apiFetch<CaseSummary[]>(`/api/cases?${new URLSearchParams(query)}`, token()),
    caseDetail: (id: number) => apiFetch<CaseDetail>(`/api/cases/${id}`, token()),
    transition: (id: number, version: number, action: TransitionAction, extra: { note?: string; score?: number } = {}) =>
      post<CaseDetail>(`/api/cases/${id}/transitions`, token(), { action, version, ...extra }),
    request: (id: number, version: number, kind: CaseRequestKind, reason: string, days?: number) =>
      post<CaseDetail>(`/api/cases/${id}/requests`, token(), { kind, reason, version, ...(days ? { days } : {}) }),
    decide: (id: number, requestId: number, approve: boolean, note?: string) =>
      post<CaseDetail>(`/api/cases/${id}/requests/${requestId}/decision`, token(), { approve, ...(note ? { note } : {}) }),
    recommendations: (id: number, limit = 5) => apiFetch<RecommendationList>(`/api/cases/${id}/recommendations?limit=${limit}`, token()),
    dispatch: (id: number, version: number, unitId: string) => post<CaseDetail>(`/api/cases/${id}/dispatch`, token(), { unitId, version }),
    reassign: (id: number, version: number, unitId: string, reason: string) => post<CaseDetail>(`/api/cases/${id}/reassign`, token(), { unitId, version, reason }),
    release: (id: number, version: number, reason: string) => post<CaseDetail>(`/api/cases/${id}/release`, token(), { version, reason }),
    alarms: () => apiFetch<Alarm[]>('/api/alarms?active=true', token()),
    ackAlarm: (id: number) => post<Alarm>(`/api/alarms/${id}/ack`, token()),
    clearAlarm: (id: number) => post<Alarm>(`/api/alarms/${id}/clear`, token()),
    coverage: () => apiFetch<CoverageResult>('/api/coverage', token()),
    taxonomy: () => apiFetch<CaseTaxonomy>('/api/taxonomy', token()),
    organisations: () => apiFetch<Organisation[]>('/api/organisations', token()),
    reporter: (id: number) => apiFetch<Reporter>(`/api/cases/${id}/reporter`, token()),
    me: () => apiFetch<{ type: string; name: string; role: string }>('/api/auth/me', token()),
    /** A case photo needs the Bearer header, so it cannot be a plain <img src>: fetched as a blob. */
    async photo(caseId: number, photoId: string): Promise<Blob> {
      const t = token();
      const res = await fetch(`/api/cases/${caseId}/photos/${encodeURIComponent(photoId)}`, { headers: t ? { Authorization: `Bearer ${t}` } : {}, signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`photo ${res.status}`);
      return res.blob();
    },
  };
}
export type OpsApi = ReturnType<typeof opsApi>;
