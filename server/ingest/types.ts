/**
 * The one entry point every source feeds: the simulator today, JT/T 808, MQTT and the
 * HTTP batch API later. A source never touches the live state directly.
 */
import type { Crs } from '../../shared/geo.ts';

export const INGEST_SOURCES = ['sim', 'jt808', 'mqtt', 'http'] as const;
/** Set by the gateway from the connection a report came over (Ingest.sink), never from the payload. */
export type IngestSource = (typeof INGEST_SOURCES)[number];

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
    /** Horizontal accuracy the device claims, metres (phones); checked against the source's INGEST_<SOURCE>_MAX_ACCURACY_M. */
    accuracy?: number;
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
  /** older than the entity's current fix: no longer a drop — such a report is accepted as late (history, alarms); kept for old stats */
  'outOfOrder',
  'impossibleJump',
  /** the device's own accuracy estimate is worse than the source allows */
  'lowAccuracy',
  'badStatus',
  /** the device is registered but quarantined, disabled or rejected */
  'deviceInactive',
  /** a simulator report for an entity a real device drives now */
  'takenOver',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** `late`: older than what the live state holds — stored in history and seen by the alarm rules, the live state unchanged. */
export type IngestOutcome = { accepted: true; entityId: string; late?: true } | { accepted: false; reason: DropReason; detail: string };

export interface IngestSink {
  submit(update: IngestUpdate): IngestOutcome;
}

/** Who reports for which entity: the device registry as the ingest sees it. */
export type DeviceResolution =
  /**
   * `handover`: the first report of a real device that has not yet taken its entity over. The
   * entity's current position and readings came from another source (the simulator, or the
   * device before it), so they are no reference for this one: no jump, order or jitter check
   * against them — a phone 2 km from where the simulator left its cleaner is not a 1,500 km/h jump.
   */
  | { ok: true; entityId: string; handover?: boolean }
  | { ok: false; reason: DropReason; detail: string };

export interface DeviceResolver {
  resolve(source: IngestSource, deviceId: string): DeviceResolution;
  /** A report of this device reached the live state (counters, last seen, takeover). */
  accepted?(source: IngestSource, deviceId: string, entityId: string, now: number): void;
  /** A report of this device was refused by the ingest (counted on the device page). */
  dropped?(source: IngestSource, deviceId: string, reason: DropReason, detail: string, now: number): void;
}
