/**
 * An HTTP batch, item by item: each item is checked on its own (TypeBox, then the report
 * time), then submitted to the ingest with source 'http'. Good items are stored, bad ones are
 * reported by index and reason, and one bad item never costs the others.
 */
import { Compile } from 'typebox/compile';
import { PositionItem, ReadingItem, type BatchResult } from '../../../shared/schemas/ingest.ts';
import type { SourceSink } from '../ingest.ts';
import type { IngestUpdate } from '../types.ts';
import { parseReportTime } from '../report-time.ts';

export type BatchKind = 'positions' | 'readings';

const checkers = { positions: Compile(PositionItem), readings: Compile(ReadingItem) };

type Converted = { ok: true; update: Omit<IngestUpdate, 'source'> } | { ok: false; reason: string; detail: string };

function convert(kind: BatchKind, item: unknown): Converted {
  const checker = checkers[kind];
  if (!checker.Check(item)) {
    const first = [...checker.Errors(item)][0];
    return { ok: false, reason: 'badItem', detail: `item${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}` };
  }
  const time = parseReportTime((item as PositionItem | ReadingItem).ts);
  if (!time.ok) return { ok: false, reason: 'badTime', detail: time.detail };
  if (kind === 'positions') {
    // Field by field rather than a rest spread and conditional spreads: this runs for every fix of every batch.
    const p = item as PositionItem;
    const pos: NonNullable<IngestUpdate['pos']> = { lon: p.lon, lat: p.lat };
    if (p.speed !== undefined) pos.speed = p.speed;
    if (p.heading !== undefined) pos.heading = p.heading;
    if (p.crs !== undefined) pos.crs = p.crs;
    if (p.accuracy !== undefined) pos.accuracy = p.accuracy;
    return { ok: true, update: { deviceId: p.deviceId, ts: time.ts, pos } };
  }
  const { deviceId, ts: _ts, ...rest } = item as ReadingItem;
  return { ok: true, update: { deviceId, ts: time.ts, attrs: rest } };
}

/** Told of an item refused before the ingest, with the device it named when it named one (the device page counts it). */
export type ItemRefused = (deviceId: string | undefined, reason: string, detail: string) => void;

const namedDevice = (item: unknown): string | undefined => {
  const id = typeof item === 'object' && item !== null ? (item as { deviceId?: unknown }).deviceId : undefined;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
};

/** `sink` is the ingest with the source fixed to 'http' (app.ingest.sink('http')). */
export function ingestBatch(kind: BatchKind, items: readonly unknown[], sink: SourceSink, refused: ItemRefused = () => {}): BatchResult {
  const result: BatchResult = { accepted: 0, rejected: [] };
  for (let index = 0; index < items.length; index++) {
    const c = convert(kind, items[index]);
    if (!c.ok) {
      result.rejected.push({ index, reason: c.reason, detail: c.detail });
      refused(namedDevice(items[index]), c.reason, c.detail);
      continue;
    }
    const outcome = sink.submit(c.update);
    if (outcome.accepted) result.accepted++;
    else result.rejected.push({ index, reason: outcome.reason, detail: outcome.detail });
  }
  return result;
}
