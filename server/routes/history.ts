import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import { HISTORY_MAX_WINDOW_MS, HistoryTrackQuery, HistoryTrackResponse } from '../../shared/schemas/history.ts';
import { HttpError } from '../http-error.ts';

/** Reads of the history store for the duty desk and leaders. Read-only: nothing to audit. */
const history: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/history/track', {
    onRequest: app.auth.requireRole('dispatcher', 'leader', 'admin'),
    schema: {
      tags: ['history'],
      description: 'Kept points of one entity (downsampled: moved ≥ HISTORY_MIN_MOVE_M, HISTORY_MAX_GAP_S passed, or status/connectivity/readings changed), oldest first, up to the last flush. Window at most 24 h.',
      querystring: HistoryTrackQuery,
      response: { 200: HistoryTrackResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req) => {
    const { entity, from, to } = req.query;
    if (to < from) throw new HttpError(400, 'bad_request', `to (${to}) is before from (${from})`);
    if (to - from > HISTORY_MAX_WINDOW_MS) throw new HttpError(400, 'bad_request', `to: the window from..to is ${to - from} ms, at most ${HISTORY_MAX_WINDOW_MS} (24 h)`);
    const e = app.live.get(entity);
    if (!e) throw new HttpError(404, 'not_found', `entity: no entity ${entity}`);
    return { entity, kind: e.kind, from, to, points: await app.history.track(entity, from, to) };
  });
};

export default history;
