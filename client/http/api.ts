/** Fetch against the server's /api with the session's bearer token. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/**
 * A request that hangs (a half-open connection, a proxy that never answers) must not stall a
 * wall for good: it fails after this long and the caller's retry takes over.
 */
const REQUEST_TIMEOUT_MS = 30_000;

export async function apiFetch<T>(path: string, token: string | null, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set('Authorization', `Bearer ${token}`);
  if (init.body !== undefined && !headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  const res = await fetch(path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), ...init, headers });
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = res.statusText;
    try {
      const body = (await res.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, code, message);
  }
  // 204 No Content (a DELETE): nothing to parse.
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}
