/**
 * HTTP contracts of replay (server/replay): a window of history streamed as live-codec
 * frames (the record format is in shared/replay-stream.ts), and one incident's window.
 */
import { Type, type Static } from 'typebox';
import { CaseDetailSchema } from './cases.ts';

/** The longest window one replay streams: a day. */
export const REPLAY_MAX_WINDOW_MS = 24 * 3_600_000;
export const REPLAY_MAX_STEP_S = 600;
/** Around one incident: from its report minus this, to its close plus this. */
export const REPLAY_CASE_MARGIN_MS = 5 * 60_000;

/** One frame a second for an hour; longer windows keep about as many frames (≤ 3,600) with a longer step. */
export function defaultReplayStepS(windowMs: number): number {
  return Math.min(REPLAY_MAX_STEP_S, Math.max(1, Math.round(windowMs / 3_600_000)));
}

/** A keyframe every 15 replayed minutes, or every 150 steps when the step is long (a day: one an hour). */
export function replayKeyframeS(stepS: number): number {
  return Math.max(900, 150 * stepS) - (Math.max(900, 150 * stepS) % stepS);
}

export const ReplayQuery = Type.Object({
  from: Type.Integer({ minimum: 0, description: 'Window start, ms since epoch' }),
  to: Type.Integer({ minimum: 0, description: 'Window end, ms since epoch; after from and at most 24 h after it' }),
  kinds: Type.Optional(Type.String({ maxLength: 64, description: 'Comma-separated entity kinds to include (staff, vehicle, muckTruck, toilet, bin); default all' })),
  step: Type.Optional(Type.Integer({ minimum: 1, maximum: REPLAY_MAX_STEP_S, description: 'Seconds between delta frames; default 1 per hour of window (1 s for an hour, 24 s for a day)' })),
}, { additionalProperties: false });
export type ReplayQuery = Static<typeof ReplayQuery>;

export const REPLAY_STREAM_DESCRIPTION = [
  'Streams a window of history (positions, statuses, readings of entities; cases and alarms overlapping it) as',
  'application/vnd.cityops.replay, chunked, so a player starts before the end arrives. The body is a sequence of records:',
  '`u32 LE n` (bytes that follow) · `u8 type` · payload. Type 1 HEADER: JSON {format, from, to, stepS, keyframeS, kinds,',
  'catalogId, catalog[{i,id,kind,name,orgCode,gridId}], timeZone}, first. Type 3 INCIDENTS: JSON {cases[{id, code, title, lon,',
  'lat, streetCode, emergency, createdTs, closedTs, stages[[ts, stage]]}], alarms[{id, type, severity, entityId, entityName, lon,',
  'lat, startTs, endTs, caseId}]}, second. Type 2 FRAME: a live-codec frame (shared/live-codec.ts, as on the live socket) whose',
  'serverTime is the replayed instant: a full frame (keyframe) at `from` and every keyframeS, else a delta with the latest',
  'state of each entity that changed since the previous frame (frames step s apart, only those with changes). Type 4 END:',
  'JSON {frames, keyframes, rows}, last; a stream without it was cut short. Roles dispatcher, leader, admin.',
].join(' ');

export const ReplayCaseParams = Type.Object({ id: Type.Integer({ minimum: 1, description: 'Case id' }) });

export const ReplayCaseResponse = Type.Object({
  caseId: Type.Integer(),
  code: Type.String(),
  title: Type.String(),
  lon: Type.Number(),
  lat: Type.Number(),
  /** The window to replay: report − 5 min … close + 5 min (now, or 24 h after the start, for an open case). */
  from: Type.Number({ description: 'ms since epoch: the report minus 5 minutes' }),
  to: Type.Number({ description: 'ms since epoch: the close plus 5 minutes (an open case: now), at most 24 h after from' }),
  timeline: CaseDetailSchema.properties.timeline,
});
export type ReplayCaseResponse = Static<typeof ReplayCaseResponse>;
