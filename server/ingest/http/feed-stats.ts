/** What the HTTP batch ingest did, by route and by reason, for GET /api/ingest/gateways. */
export interface HttpIngestStats {
  requests: number;
  accepted: number;
  /** Items refused inside accepted batches, by reason (badItem, badTime, or the ingest's drop reason). */
  rejectedItems: Record<string, number>;
  /** Whole requests refused, by reason (unauthorized, rateLimited, tooLarge, badBody, idempotencyConflict…). */
  refusedRequests: Record<string, number>;
  /** Batches answered again from an Idempotency-Key. */
  replays: number;
}

export const newHttpIngestStats = (): HttpIngestStats => ({ requests: 0, accepted: 0, rejectedItems: {}, refusedRequests: {}, replays: 0 });

const REQUEST_REFUSALS: Record<number, string> = {
  400: 'badBody', 401: 'unauthorized', 404: 'notFound', 409: 'idempotencyConflict', 413: 'tooLarge', 415: 'unsupportedMediaType', 429: 'rateLimited',
};

export function countRefusedRequest(stats: HttpIngestStats, status: number): void {
  const reason = REQUEST_REFUSALS[status] ?? (status >= 500 ? 'serverError' : `status${status}`);
  stats.refusedRequests[reason] = (stats.refusedRequests[reason] ?? 0) + 1;
}
