/**
 * The one entry point every source feeds: the simulator today, JT/T 808, MQTT and the
 * HTTP batch API later. A source never touches the live state directly.
 */
import type { Crs } from '../../shared/geo.ts';

export type IngestSource = 'sim' | 'jt808' | 'mqtt' | 'http';

export interface IngestUpdate {
  source: IngestSource;
  /** The device id as the source knows it; resolved to an entity through the device registry (identity for 'sim'). */
  deviceId: string;
  /** Time of the fix or reading, ms since epoch (UTC). */
  ts: number;
  pos?: {
    lon: number;
    lat: number;
    /** km/h */
    speed?: number;
    /** degrees clockwise from north */
    heading?: number;
    /** Declared CRS of lon/lat; WGS84 when absent. */
    crs?: Crs;
    /** false when the device says its fix is invalid */
    valid?: boolean;
  };
  /** New status, from the kind's vocabulary in shared/entities.ts. */
  status?: string;
  /** Changed attributes only; merged into the entity's attributes. */
  attrs?: Record<string, unknown>;
}

export const DROP_REASONS = [
  'unknownDevice',
  'malformed',
  'invalidFix',
  'nullIsland',
  'outOfRange',
  'futureTime',
  'tooOld',
  'duplicate',
  /** older than the entity's current fix: a late (blind-area) report, not the live position */
  'outOfOrder',
  'impossibleJump',
  'badStatus',
  /** the device is registered but quarantined, disabled or rejected */
  'deviceInactive',
  /** a simulator report for an entity a real device drives now */
  'takenOver',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type IngestOutcome = { accepted: true; entityId: string } | { accepted: false; reason: DropReason; detail: string };

export interface IngestSink {
  submit(update: IngestUpdate): IngestOutcome;
}

/** Who reports for which entity: the device registry as the ingest sees it. */
export type DeviceResolution = { ok: true; entityId: string } | { ok: false; reason: DropReason; detail: string };

export interface DeviceResolver {
  resolve(source: IngestSource, deviceId: string): DeviceResolution;
  /** A report of this device reached the live state (counters, last seen, takeover). */
  accepted?(source: IngestSource, deviceId: string, entityId: string, now: number): void;
  /** A report of this device was refused by the ingest (counted on the device page). */
  dropped?(source: IngestSource, deviceId: string, reason: DropReason, detail: string, now: number): void;
}
