/**
 * HTTP contracts of the history store (server/history): a track of one entity over a
 * window of at most HISTORY_MAX_WINDOW_MS.
 */
import { Type, type Static } from 'typebox';
import { CONNECTIVITY } from '../entities.ts';

/** The longest window one track request answers: a day. */
export const HISTORY_MAX_WINDOW_MS = 24 * 3_600_000;

export const HistoryTrackQuery = Type.Object({
  entity: Type.String({ minLength: 1, maxLength: 64, description: 'Entity id, e.g. veh-001' }),
  from: Type.Integer({ minimum: 0, description: 'Window start, ms since epoch (inclusive)' }),
  to: Type.Integer({ minimum: 0, description: 'Window end, ms since epoch (inclusive); at most 24 h after from' }),
}, { additionalProperties: false });
export type HistoryTrackQuery = Static<typeof HistoryTrackQuery>;

export const HistoryPointSchema = Type.Object({
  ts: Type.Number({ description: 'ms since epoch, whole seconds' }),
  lon: Type.Union([Type.Number(), Type.Null()]),
  lat: Type.Union([Type.Number(), Type.Null()]),
  status: Type.String(),
  connectivity: Type.Enum([...CONNECTIVITY]),
  attrs: Type.Record(Type.String(), Type.Unknown(), { description: "The kind's readings kept by history (fill, nh3, h2s, occupied, routeDone, loaded, lidSealed, violations)" }),
});

export const HistoryTrackResponse = Type.Object({
  entity: Type.String(),
  kind: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  points: Type.Array(HistoryPointSchema),
});
export type HistoryTrackResponse = Static<typeof HistoryTrackResponse>;
