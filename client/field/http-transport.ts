/**
 * The outbox's transport over the real API. A fetch that throws (offline, reset, timed out) is
 * a network failure: the request may or may not have landed, which the queue then asks about.
 */
import type { CaseDetail } from '../../shared/cases.ts';
import type { CaseLookup, FieldAction, FieldTransport, SendResult } from './action-queue.ts';
import { dataUrlBytes } from './photo-resize.ts';

const TIMEOUT_MS = 30_000;

export class HttpFieldTransport implements FieldTransport {
  constructor(private readonly token: () => string | null) {}

  async send(a: FieldAction, photoIds: Readonly<Record<string, string>>): Promise<SendResult> {
    const unit = `/api/units/${encodeURIComponent(a.unitId)}`;
    switch (a.kind) {
      case 'accept': return this.post(`${unit}/accept`);
      case 'enRoute': return this.post(`${unit}/en-route`);
      case 'done': return this.post(`${unit}/done`, { note: a.note, photoIds: a.photoKeys.map((k) => photoIds[k]!) });
      case 'sendBack': return this.post(`${unit}/send-back`, { reason: a.reason });
      case 'photo': {
        const r = await this.request(`/api/cases/${a.caseId}/photos?phase=after`, { 'content-type': 'image/jpeg', 'idempotency-key': a.key }, dataUrlBytes(a.dataUrl));
        if (!r.ok) return r;
        return { ok: true, photoId: (r.body as { id: string }).id };
      }
    }
  }

  async caseDetail(caseId: number): Promise<CaseLookup> {
    const r = await this.request(`/api/cases/${caseId}`, {}, undefined, 'GET');
    return r.ok ? { ok: true, detail: r.body as CaseDetail } : { ok: false, network: r.network };
  }

  private async post(path: string, body?: unknown): Promise<SendResult> {
    const r = await this.request(path, body === undefined ? {} : { 'content-type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body));
    return r.ok ? { ok: true } : r;
  }

  private async request(path: string, headers: Record<string, string>, body: BodyInit | undefined, method = 'POST'): Promise<{ ok: true; body: unknown } | Exclude<SendResult, { ok: true }>> {
    const token = this.token();
    let res: Response;
    try {
      res = await fetch(path, {
        method, signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
    } catch {
      return { ok: false, network: true };
    }
    let json: unknown = null;
    try { json = await res.json(); } catch { /* an empty or non-JSON answer */ }
    if (res.ok) return { ok: true, body: json };
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    return { ok: false, network: false, status: res.status, code: err?.code ?? `http_${res.status}`, message: err?.message ?? res.statusText };
  }
}

/** The outbox in localStorage, one per crew user (a phone may be shared between shifts). */
export function localQueueStorage(username: string) {
  const key = `cityops.field.outbox.${username}`;
  return {
    load: (): string | null => { try { return localStorage.getItem(key); } catch { return null; } },
    save: (v: string): void => { localStorage.setItem(key, v); },
  };
}

export const browserScheduler = {
  now: () => Date.now(),
  later: (fn: () => void, ms: number) => { const h = setTimeout(fn, ms); return () => clearTimeout(h); },
};
