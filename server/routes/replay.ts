import { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ENTITY_KINDS, isEntityKind, type EntityKind, type ToiletClass } from '../../shared/entities.ts';
import { REPLAY_CONTENT_TYPE, REPLAY_FORMAT, REPLAY_RECORD, encodeReplayFrames, encodeReplayJson, type ReplayHeader } from '../../shared/replay-stream.ts';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import {
  REPLAY_CASE_MARGIN_MS, REPLAY_MAX_WINDOW_MS, REPLAY_STREAM_DESCRIPTION, ReplayCaseParams, ReplayCaseResponse, ReplayQuery,
  defaultReplayStepS, replayKeyframeS,
} from '../../shared/schemas/replay.ts';
import { HttpError } from '../http-error.ts';
import { ReplayFrameBuilder } from '../replay/replay-frames.ts';
import type { ReplayIncidentSource } from '../replay/replay-incidents.ts';
import { ReplayTrackReader } from '../replay/track-window.ts';
import type { TrackPoint } from '../history/track-codec.ts';

const READ_CHUNK_MS = 3_600_000;

export interface ReplayRouteOptions {
  incidents: ReplayIncidentSource;
  now: () => number;
}

/** A Buffer over the same bytes (no copy). */
const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** `kinds=staff,vehicle` → the kinds, or a 400 naming the one that is not a kind. */
export function parseKinds(raw: string | undefined): EntityKind[] {
  if (raw === undefined) return [...ENTITY_KINDS];
  const kinds = raw.split(',').map((k) => k.trim());
  for (const k of kinds) if (!isEntityKind(k)) throw new HttpError(400, 'bad_request', `kinds: "${k}" is not an entity kind (${ENTITY_KINDS.join(', ')})`);
  return [...new Set(kinds as EntityKind[])];
}

/** Replay of history for the briefing and the duty desk. Read-only: nothing to audit. */
const replay: FastifyPluginAsyncTypebox<ReplayRouteOptions> = async (app, opts) => {
  const readers = app.auth.requireRole('dispatcher', 'leader', 'admin');

  app.get('/api/replay', {
    onRequest: readers,
    schema: {
      tags: ['replay'],
      description: REPLAY_STREAM_DESCRIPTION,
      querystring: ReplayQuery,
      response: { 200: Type.Unknown({ description: `${REPLAY_CONTENT_TYPE}: length-prefixed records (see the description)` }), 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse },
    },
  }, async (req, reply) => {
    const { from, to } = req.query;
    if (to <= from) throw new HttpError(400, 'bad_request', `to (${to}) must be after from (${from})`);
    if (to - from > REPLAY_MAX_WINDOW_MS) throw new HttpError(400, 'bad_request', `to: the window from..to is ${to - from} ms, at most ${REPLAY_MAX_WINDOW_MS} (24 h)`);
    const kinds = parseKinds(req.query.kinds);
    const stepS = req.query.step ?? defaultReplayStepS(to - from);
    const keyframeS = replayKeyframeS(stepS);
    const live = app.live;
    const index = new Map<string, { i: number; kind: EntityKind }>();
    for (const e of live.all()) if (kinds.includes(e.kind)) index.set(e.id, { i: e.index, kind: e.kind });
    const header: ReplayHeader = {
      format: REPLAY_FORMAT, from, to, stepS, keyframeS, kinds,
      catalogId: live.catalogId, catalog: live.catalog, timeZone: app.district.pack.meta.timezone,
    };
    const tracks = new ReplayTrackReader(app.store.sql);
    // The first reads before the status line: a store that fails now is a 500, not a cut stream.
    const incidents = await opts.incidents.window(from, to);
    const entities = (await tracks.entities(kinds)).filter((e) => index.has(e.id));
    const startStates = await tracks.at(entities, from);
    const log = req.log;
    async function* records(): AsyncGenerator<Buffer> {
      try {
        yield asBuffer(encodeReplayJson(REPLAY_RECORD.header, header));
        yield asBuffer(encodeReplayJson(REPLAY_RECORD.incidents, incidents));
        const builder = new ReplayFrameBuilder({
          from, to, stepS, keyframeS, index,
          toiletClass: (id) => (live.get(id)?.attrs as { toiletClass?: ToiletClass } | undefined)?.toiletClass,
        });
        const first = builder.start(startStates);
        yield asBuffer(encodeReplayFrames([first.bytes]));
        // Points are read an hour (or a keyframe interval, if longer) at a time — one query per entity per
        // read, not per slice — and framed a keyframe interval at a time (the builder takes a slice's points out).
        const readMs = Math.max(keyframeS * 1000, READ_CHUNK_MS);
        let chunk = new Map<string, TrackPoint[]>();
        let chunkEnd = from;
        for (let end = builder.nextSliceEnd(); end !== null; end = builder.nextSliceEnd()) {
          // The event loop gets a turn between slices: a day's replay never holds the server.
          await new Promise((r) => setImmediate(r));
          if (end > chunkEnd) {
            chunkEnd = Math.min(to, builder.sliceStart() + readMs);
            chunk = await tracks.slice(entities, builder.sliceStart(), chunkEnd);
          }
          const frames = builder.slice(chunk);
          if (frames.length > 0) yield asBuffer(encodeReplayFrames(frames.map((f) => f.bytes)));
        }
        yield asBuffer(encodeReplayJson(REPLAY_RECORD.end, { ...builder.stats }));
      } catch (err) {
        // The status line is sent: the only way left to say so is to cut the stream (no END record).
        log.error({ err }, 'replay stream failed');
        throw err;
      }
    }
    return reply.type(REPLAY_CONTENT_TYPE).header('cache-control', 'no-store').send(Readable.from(records()));
  });

  app.get('/api/replay/case/:id', {
    onRequest: readers,
    schema: {
      tags: ['replay'],
      description: `The window to replay one incident: from its report minus ${REPLAY_CASE_MARGIN_MS / 60_000} min to its close (or void) plus as much — an open case: until now — at most 24 h; and its timeline, to jump to its steps.`,
      params: ReplayCaseParams,
      response: { 200: ReplayCaseResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse },
    },
  }, async (req) => {
    const c = await app.cases.get(req.params.id);
    if (!c) throw new HttpError(404, 'not_found', `id: no case ${req.params.id}`);
    const timeline = await opts.incidents.timeline(c.id);
    const from = c.createdTs - REPLAY_CASE_MARGIN_MS;
    const ended = c.closedTs ?? (c.stage === 'voided' ? c.updatedTs : null);
    const end = ended === null ? opts.now() : ended + REPLAY_CASE_MARGIN_MS;
    const to = Math.max(from + 60_000, Math.min(end, from + REPLAY_MAX_WINDOW_MS));
    return { caseId: c.id, code: c.code, title: c.title, lon: c.location.lon, lat: c.location.lat, from, to, timeline };
  });
};

export default replay;
