/**
 * The replay stream (GET /api/replay): a window of history as a sequence of length-prefixed
 * records, so a player can start before the whole window has arrived.
 *
 *   record   u32 LE n (bytes that follow: the type byte and the payload) · u8 type · payload (n − 1 bytes)
 *   type 1   HEADER     UTF-8 JSON ReplayHeader — always first: the window, the step and the catalog
 *   type 3   INCIDENTS  UTF-8 JSON ReplayIncidents — second: cases and alarms that overlap the window
 *   type 2   FRAME      a live-codec frame (shared/live-codec.ts) whose serverTime is the replayed instant:
 *                        a full frame (keyframe: every entity's state) at `from` and every keyframeS,
 *                        otherwise a delta with the latest state of each entity that changed in
 *                        (previous frame's time, this frame's time]. A keyframe at T follows the delta at T.
 *   type 4   END        UTF-8 JSON ReplayEnd — last; a stream without it was cut short
 *
 * Frames are in time order. Positions are quantised like the live stream (1e-6°, whole seconds).
 */
import type { AlarmSeverity, AlarmType } from './alarms.ts';
import type { CaseStage } from './cases.ts';
import type { EntityKind } from './entities.ts';
import type { CatalogEntry } from './live-events.ts';

export const REPLAY_CONTENT_TYPE = 'application/vnd.cityops.replay';
export const REPLAY_FORMAT = 1;

export const REPLAY_RECORD = { header: 1, frame: 2, incidents: 3, end: 4 } as const;
export type ReplayRecordType = (typeof REPLAY_RECORD)[keyof typeof REPLAY_RECORD];

export interface ReplayHeader {
  format: number;
  /** The window, ms since epoch. */
  from: number;
  to: number;
  /** Delta frames are this far apart (replayed seconds). */
  stepS: number;
  /** A keyframe (full frame) every this many replayed seconds, for seeking. */
  keyframeS: number;
  kinds: EntityKind[];
  /** The catalog the frames' indices refer to (the live catalog: the same indices as the wall's). */
  catalogId: string;
  catalog: CatalogEntry[];
  /** IANA zone of the district, for local time on the slider. */
  timeZone: string;
}

/** A case overlapping the window, with every stage it went through (to draw it at any instant). */
export interface ReplayCase {
  id: number;
  code: string;
  title: string;
  lon: number;
  lat: number;
  streetCode: string;
  emergency: boolean;
  createdTs: number;
  closedTs: number | null;
  /** [ts, stage entered] in time order, from the timeline (the first is the report). */
  stages: [number, CaseStage][];
}

/** An alarm active at some time in the window. */
export interface ReplayAlarm {
  id: number;
  type: AlarmType;
  severity: AlarmSeverity;
  entityId: string;
  entityName: string;
  lon: number | null;
  lat: number | null;
  startTs: number;
  endTs: number | null;
  caseId: number | null;
}

export interface ReplayIncidents {
  cases: ReplayCase[];
  alarms: ReplayAlarm[];
}

export interface ReplayEnd {
  frames: number;
  keyframes: number;
  /** Entity rows over all frames. */
  rows: number;
}

export type ReplayRecord =
  | { type: typeof REPLAY_RECORD.header; header: ReplayHeader }
  | { type: typeof REPLAY_RECORD.incidents; incidents: ReplayIncidents }
  | { type: typeof REPLAY_RECORD.frame; frame: Uint8Array }
  | { type: typeof REPLAY_RECORD.end; end: ReplayEnd };

export class ReplayStreamError extends Error {
  override name = 'ReplayStreamError';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A record larger than this is a corrupt length, not a frame (a full frame of 20,000 entities is ~1 MB). */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeReplayRecord(type: ReplayRecordType, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length + 1, true);
  out[4] = type;
  out.set(payload, 5);
  return out;
}

/** Several FRAME records in one buffer (one copy of each frame, one allocation). */
export function encodeReplayFrames(frames: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const f of frames) n += 5 + f.length;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const f of frames) {
    dv.setUint32(o, f.length + 1, true);
    out[o + 4] = REPLAY_RECORD.frame;
    out.set(f, o + 5);
    o += 5 + f.length;
  }
  return out;
}

export function encodeReplayJson(type: typeof REPLAY_RECORD.header | typeof REPLAY_RECORD.incidents | typeof REPLAY_RECORD.end, value: ReplayHeader | ReplayIncidents | ReplayEnd): Uint8Array {
  return encodeReplayRecord(type, encoder.encode(JSON.stringify(value)));
}

/**
 * Splits a byte stream into records, whatever the chunking: `push` each chunk as it arrives
 * and get the records it completed; `finish` at the end refuses a stream cut mid-record.
 */
export class ReplayStreamReader {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): ReplayRecord[] {
    const bytes = this.pending.length > 0 ? concat(this.pending, chunk) : chunk;
    const out: ReplayRecord[] = [];
    let o = 0;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (bytes.length - o >= 4) {
      const n = dv.getUint32(o, true);
      if (n < 1 || n > MAX_RECORD_BYTES) throw new ReplayStreamError(`bad record length ${n} at byte ${o}`);
      if (bytes.length - o - 4 < n) break;
      out.push(parseRecord(bytes[o + 4]!, bytes.subarray(o + 5, o + 4 + n)));
      o += 4 + n;
    }
    // Keep the incomplete tail (copied: the caller may reuse its chunk buffer).
    this.pending = o < bytes.length ? bytes.slice(o) : new Uint8Array(0);
    return out;
  }

  finish(): void {
    if (this.pending.length > 0) throw new ReplayStreamError(`stream ended inside a record (${this.pending.length} bytes left)`);
  }
}

function parseRecord(type: number, payload: Uint8Array): ReplayRecord {
  switch (type) {
    case REPLAY_RECORD.frame: return { type, frame: payload };
    case REPLAY_RECORD.header: return { type, header: json(payload) as ReplayHeader };
    case REPLAY_RECORD.incidents: return { type, incidents: json(payload) as ReplayIncidents };
    case REPLAY_RECORD.end: return { type, end: json(payload) as ReplayEnd };
    default: throw new ReplayStreamError(`unknown record type ${type}`);
  }
}

function json(payload: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(payload));
  } catch (err) {
    throw new ReplayStreamError(`record is not JSON: ${(err as Error).message}`);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
