/**
 * What a format-2 screen holds of the live stream: the server's columns for its view
 * (shared/live-columns.ts), the version they are at and the stream they came from — the base
 * every delta is applied to, and what a reconnect sends to get the difference instead of a
 * snapshot. Turns each applied frame into rows for the EntityBuffer, which draws them.
 */
import { CONNECTIVITY } from '../../shared/entities.ts';
import { applyLiveFrameV2, decodeLiveFrameV2, LiveCodecError, type DecodedRow, type LiveFrame } from '../../shared/live-codec.ts';
import { LiveColumns } from '../../shared/live-columns.ts';
import type { CatalogEntry } from '../../shared/live-events.ts';
import type { LiveSubscription } from '../../shared/live-subscription.ts';

const textDecoder = new TextDecoder();

export class LiveViewState {
  streamId = '';
  catalogId = '';
  version = 0;
  cols = new LiveColumns(0);
  /** False until a full frame arrives, and again while a new subscription's full frame is awaited. */
  held = false;
  subscription: LiveSubscription = {};

  /** What a reconnect sends, when this state is a base the server may still have. */
  resume(catalogSize: number): { streamId: string; catalogId: string; catalogSize: number; version: number } | undefined {
    if (!this.held || this.cols.size !== catalogSize) return undefined;
    return { streamId: this.streamId, catalogId: this.catalogId, catalogSize, version: this.version };
  }

  /** Starts over for a new stream or catalog (a full frame follows). */
  reset(streamId: string, catalogId: string, size: number): void {
    this.streamId = streamId;
    this.catalogId = catalogId;
    this.version = 0;
    this.cols = new LiveColumns(size);
    this.held = false;
  }

  /** The catalog grew at run time (entries appended): new rows are not held until a frame brings them. */
  grow(size: number): void {
    if (size > this.cols.size) this.cols = LiveColumns.copyOf(this.cols, size);
  }

  /**
   * Applies a format-2 frame. 'gap': a delta built on a version this screen does not hold
   * (the caller asks for a resync); 'awaiting': a delta for the previous subscription, sent
   * before the server took the new one whose full frame is on its way (dropped).
   * Throws LiveCodecError for a frame that does not decode.
   */
  apply(bytes: Uint8Array): LiveFrame | 'gap' | 'awaiting' {
    const frame = decodeLiveFrameV2(bytes);
    if (!frame.full && !this.held) return 'awaiting';
    if (!frame.full && frame.baseVersion !== this.version) return 'gap';
    const touched = applyLiveFrameV2(this.cols, frame);
    this.version = frame.version;
    if (frame.full) this.held = true;
    const attrsOf = new Map<number, Record<string, unknown>>();
    for (const r of frame.rows) if (r.attrs) attrsOf.set(r.i, r.attrs);
    // A full frame is the whole truth for the EntityBuffer too: every entity gets a row, the ones outside the view without a position.
    const indices = frame.full ? Array.from({ length: this.cols.size }, (_, i) => i) : touched;
    const rows = indices.map((i) => this.rowOf(i, frame.full ? this.cols.attrs[i] : attrsOf.get(i)));
    return { full: frame.full, version: frame.version, baseVersion: frame.baseVersion, serverTime: frame.serverTime, rows };
  }

  private rowOf(i: number, attrs: Record<string, unknown> | undefined): DecodedRow {
    const c = this.cols;
    if (c.present[i] !== 1) return { i, statusCode: 0, connectivity: 'offline', lastSeen: 0 };
    const row: DecodedRow = { i, statusCode: c.status[i]!, connectivity: CONNECTIVITY[c.conn[i]!] ?? 'offline', lastSeen: c.seenSec[i]! * 1000 };
    const pos = c.position(i);
    if (pos) row.pos = pos;
    if (attrs) row.attrs = attrs;
    return row;
  }
}

/** The catalog bytes of a 'live:start' (UTF-8 JSON of CatalogEntry[]), checked. */
export function parseCatalogBytes(bytes: Uint8Array, from: number): CatalogEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(textDecoder.decode(bytes));
  } catch (err) {
    throw new LiveCodecError(`catalog is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new LiveCodecError('catalog is not an array');
  parsed.forEach((e: unknown, k) => {
    const entry = e as Partial<CatalogEntry> | null;
    if (!entry || entry.i !== from + k || typeof entry.id !== 'string' || typeof entry.kind !== 'string' || typeof entry.orgCode !== 'string') {
      throw new LiveCodecError(`catalog entry ${from + k} is malformed`);
    }
  });
  return parsed as CatalogEntry[];
}
