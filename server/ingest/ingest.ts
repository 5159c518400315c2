/**
 * Ingest: where every report from every source becomes (or is refused as) a change to the
 * live state. It resolves the device, validates, converts the CRS to WGS-84, filters,
 * derives what the domain defines (bin status from fill, toilet odour alarm), and counts
 * each drop by source and reason so that nothing is lost silently.
 *
 * Ordering: a position is live only when its fix is newer than the entity's; status and
 * readings only when newer than the entity's status and readings. What is older is a late
 * report: it goes to history and to the alarm rules (an SOS inside a blind-area batch is raised)
 * and changes nothing live. A position the filters refuse does not take the status and readings
 * it came with down with it.
 */
import {
  BIN_FULL_PCT, BIN_OVERFLOW_PCT, binStatusFor, H2S_LIMIT_MG_M3, isOdourAlarm, NH3_LIMIT_MG_M3, type Position, type ToiletAttrs, type ToiletClass,
} from '../../shared/entities.ts';
import { distanceM, toWgs84 } from '../../shared/geo.ts';
import type { LateReport, LiveReport, LiveState } from '../live/live-state.ts';
import { checkAttrs, isStatusOf } from './attrs-check.ts';
import { checkPosition, checkTimestamp, type FilterLimits } from './position-filter.ts';
import { sourcePolicies, type SourcePolicy, type SourcePolicyOverrides } from './source-policy.ts';
import {
  DROP_REASONS, INGEST_SOURCES, type DeviceResolver, type DropReason, type IngestOutcome, type IngestSink, type IngestSource, type IngestUpdate,
} from './types.ts';

export interface DroppedReport { at: number; source: IngestSource; deviceId: string; reason: DropReason; detail: string }

type ByReason = Record<DropReason, number>;

export interface SourceStats {
  accepted: number;
  /** Accepted as late: stored in history, the live state unchanged. */
  late: number;
  dropped: number;
  droppedByReason: ByReason;
  /** Positions refused while the status and readings they came with were taken. */
  positionsDropped: ByReason;
  /** Positions within the source's minimum distance of the current one: kept at the current place (jitter). */
  jitterSnapped: number;
}

export interface IngestStats {
  accepted: number;
  late: number;
  dropped: ByReason;
  bySource: Record<IngestSource, SourceStats>;
  /** The latest drops with their explanation, newest last (bounded). */
  recentDrops: DroppedReport[];
}

const RECENT_DROPS = 200;

/** The thresholds behind the values the ingest derives (bin status, toilet odour alarm); the alarm settings replace them. */
export interface DerivationThresholds {
  binFullPct: number;
  binOverflowPct: number;
  nh3LimitMgM3: Readonly<Record<ToiletClass, number>>;
  h2sLimitMgM3: number;
}

const zeroByReason = (): ByReason => Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as ByReason;
const emptySource = (): SourceStats => ({ accepted: 0, late: 0, dropped: 0, droppedByReason: zeroByReason(), positionsDropped: zeroByReason(), jitterSnapped: 0 });

/** Position refusals that leave the rest of a report standing; the others (malformed) refuse the whole report. */
const POSITION_ONLY: ReadonlySet<DropReason> = new Set<DropReason>(['invalidFix', 'nullIsland', 'outOfRange', 'duplicate', 'impossibleJump', 'lowAccuracy']);

export type SourceSink = { submit(update: Omit<IngestUpdate, 'source'>): IngestOutcome };

/** A refusal (a plain function: no closure made per report). */
const drop = (reason: DropReason, detail: string): IngestOutcome => ({ accepted: false, reason, detail });

export class Ingest implements IngestSink {
  private readonly stats: IngestStats = {
    accepted: 0,
    late: 0,
    dropped: zeroByReason(),
    bySource: Object.fromEntries(INGEST_SOURCES.map((s) => [s, emptySource()])) as Record<IngestSource, SourceStats>,
    recentDrops: [],
  };
  private readonly policies: Record<IngestSource, SourcePolicy>;

  /** DOMAIN.md's defaults until the alarm settings say otherwise (server/plugins/alarms.ts keeps them in step). */
  thresholds: DerivationThresholds = { binFullPct: BIN_FULL_PCT, binOverflowPct: BIN_OVERFLOW_PCT, nh3LimitMgM3: NH3_LIMIT_MG_M3, h2sLimitMgM3: H2S_LIMIT_MG_M3 };

  constructor(
    private readonly live: LiveState,
    private registry: DeviceResolver,
    limits: FilterLimits,
    private readonly now: () => number = Date.now,
    /**
     * Sources whose world runs faster than the wall clock their reports are stamped with:
     * the simulator at SIM_SPEED 60 moves a truck an hour's distance per wall minute, which
     * is no impossible jump for it.
     */
    timeScale: Partial<Record<IngestSource, number>> = {},
    /** Per-source normalisation (INGEST_<SOURCE>_* settings); unset values follow `limits`. */
    perSource: Partial<Record<IngestSource, SourcePolicyOverrides>> = {},
  ) {
    this.policies = sourcePolicies(limits, perSource, timeScale);
  }

  /**
   * The device registry is built after the live state (it adds entities to it), so the running
   * server hands it over here once it exists; until then only the simulator's devices resolve.
   */
  useDevices(registry: DeviceResolver): void {
    this.registry = registry;
  }

  /**
   * The entry point a gateway holds: the source is fixed by the connection it serves (an
   * authenticated TCP session, a broker subscription, a keyed HTTP route) and a `source` field
   * in what it passes — say, a device's JSON spread into the update — is overwritten.
   */
  sink(source: IngestSource): SourceSink {
    // An unknown source is refused report by report (submit counts it), as it always was.
    if (!(INGEST_SOURCES as readonly unknown[]).includes(source)) return { submit: (update) => this.submit({ ...update, source }) };
    // The update is read with the sink's source and never copied: no spread per report.
    return { submit: (update) => this.accept(source, update) };
  }

  submit(update: IngestUpdate): IngestOutcome {
    if (!(INGEST_SOURCES as readonly unknown[]).includes(update?.source)) {
      // Only code can get here (gateways pass their own source); counted under malformed, never thrown.
      this.stats.dropped.malformed++;
      return { accepted: false, reason: 'malformed', detail: `unknown source ${JSON.stringify(update?.source)}` };
    }
    return this.accept(update.source, update);
  }

  /** `source` is the connection's, whatever `update` says of itself. */
  private accept(source: IngestSource, update: Omit<IngestUpdate, 'source'>): IngestOutcome {
    const src = this.stats.bySource[source];
    const now = this.now();
    let outcome: IngestOutcome;
    try {
      outcome = this.evaluate(source, update, src, now);
    } catch (err) {
      // A listener or a derivation that throws must not take the gateway's socket handler down with it.
      outcome = { accepted: false, reason: 'malformed', detail: `report could not be applied: ${(err as Error).message}` };
    }
    if (outcome.accepted) {
      this.stats.accepted++;
      src.accepted++;
      if (outcome.late) { this.stats.late++; src.late++; }
      this.registry.accepted?.(source, update.deviceId, outcome.entityId, now);
    } else {
      this.stats.dropped[outcome.reason]++;
      src.dropped++;
      src.droppedByReason[outcome.reason]++;
      // A gateway's sink passes what it parsed: even a null update is refused, not thrown on.
      const named: unknown = update?.deviceId;
      const deviceId = typeof named === 'string' ? named.slice(0, 64) : String(named).slice(0, 64);
      if (typeof named === 'string') this.registry.dropped?.(source, named, outcome.reason, outcome.detail, now);
      // Bounded: a device id or a value in a detail can be as long as a hostile payload makes it.
      this.stats.recentDrops.push({ at: now, source, deviceId, reason: outcome.reason, detail: outcome.detail.slice(0, 300) });
      if (this.stats.recentDrops.length > RECENT_DROPS) this.stats.recentDrops.splice(0, this.stats.recentDrops.length - RECENT_DROPS);
    }
    return outcome;
  }

  snapshotStats(): IngestStats {
    return structuredClone(this.stats);
  }

  /** The normalisation each source gets (for the stats page and the start-up log). */
  sourcePolicies(): Record<IngestSource, SourcePolicy> {
    return structuredClone(this.policies);
  }

  private evaluate(source: IngestSource, u: Omit<IngestUpdate, 'source'>, src: SourceStats, now: number): IngestOutcome {
    if (typeof u !== 'object' || u === null || typeof u.deviceId !== 'string' || u.deviceId.length === 0) return drop('malformed', 'deviceId missing');
    const resolved = this.registry.resolve(source, u.deviceId);
    if (!resolved.ok) return drop(resolved.reason, resolved.detail);
    const entity = this.live.get(resolved.entityId);
    if (!entity) return drop('unknownDevice', `${source} device ${u.deviceId} is bound to entity ${resolved.entityId}, which does not exist`);
    const policy = this.policies[source];
    // On a handover the entity's last fix and readings are another source's: nothing to compare with.
    const handover = resolved.handover === true;
    const t = checkTimestamp(u.ts, now, policy.limits);
    if (!t.ok) return drop(t.reason, t.detail);

    // Status and attributes first: a report that lies about them is refused whole.
    let status = u.status;
    if (status !== undefined && (typeof status !== 'string' || !isStatusOf(entity.kind, status))) {
      return drop('badStatus', `status ${JSON.stringify(status)} is not one of ${entity.kind}'s`);
    }
    let attrs = u.attrs;
    if (attrs !== undefined) {
      if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) return drop('malformed', 'attrs must be an object');
      const problem = checkAttrs(entity.kind, attrs);
      if (problem) return drop('malformed', problem);
      // The domain defines these; a source cannot contradict them.
      const th = this.thresholds;
      if (entity.kind === 'bin' && typeof attrs.fill === 'number') status = binStatusFor(attrs.fill, th.binFullPct, th.binOverflowPct);
      if (entity.kind === 'toilet' && (attrs.nh3 !== undefined || attrs.h2s !== undefined || attrs.toiletClass !== undefined || attrs.odourAlarm !== undefined)) {
        const merged = { ...entity.attrs, ...attrs } as ToiletAttrs;
        attrs = { ...attrs, odourAlarm: isOdourAlarm(merged.toiletClass, merged.nh3, merged.h2s, th.nh3LimitMgM3, th.h2sLimitMgM3) };
      }
    }
    const hasState = status !== undefined || attrs !== undefined;

    let pos: Position | undefined;
    let latePos: Position | undefined;
    if (u.pos !== undefined) {
      if (entity.kind === 'toilet' || entity.kind === 'bin') return drop('malformed', `${entity.kind} positions are fixed by the district pack`);
      const p = u.pos;
      if (typeof p !== 'object' || p === null) return drop('malformed', 'pos must be an object');
      let lon = p.lon;
      let lat = p.lat;
      const crs = p.crs ?? policy.crs;
      if (crs !== 'WGS84' && Number.isFinite(lon) && Number.isFinite(lat)) [lon, lat] = toWgs84(crs, lon, lat);
      const candidate: Position = { lon, lat, ts: u.ts };
      if (p.speed !== undefined) candidate.speed = p.speed;
      if (p.heading !== undefined) candidate.heading = p.heading;
      let v = checkPosition(candidate, p.valid !== false, handover ? undefined : entity.pos, now, policy.limits);
      if (v.ok && policy.maxAccuracyM !== null && p.accuracy !== undefined) {
        if (!(Number.isFinite(p.accuracy) && p.accuracy >= 0)) v = { ok: false, reason: 'malformed', detail: `accuracy ${p.accuracy} is not a non-negative number` };
        else if (p.accuracy > policy.maxAccuracyM) v = { ok: false, reason: 'lowAccuracy', detail: `accuracy ${Math.round(p.accuracy)} m > ${policy.maxAccuracyM} m` };
      }
      if (v.ok) {
        pos = candidate;
        const last = entity.pos;
        if (policy.minDistanceM > 0 && !handover && last && last.ts > 0 && distanceM(last.lon, last.lat, lon, lat) < policy.minDistanceM) {
          // Jitter around a standing device: the fix time moves on, the marker stays.
          pos = { ...candidate, lon: last.lon, lat: last.lat };
          src.jitterSnapped++;
        }
      } else if (v.reason === 'outOfOrder') {
        latePos = candidate;
      } else if (hasState && POSITION_ONLY.has(v.reason)) {
        src.positionsDropped[v.reason]++;
      } else {
        return drop(v.reason, v.detail);
      }
    }
    if (pos === undefined && latePos === undefined && !hasState) return drop('malformed', 'report carries no position, status or attributes');

    // Status and readings are ordered by their own time, like fixes.
    const stateLate = hasState && !handover && u.ts < entity.stateTs;
    const liveStatus = stateLate ? undefined : status;
    const liveAttrs = stateLate ? undefined : attrs;
    if (pos !== undefined || liveStatus !== undefined || liveAttrs !== undefined) {
      const report: LiveReport = { ts: u.ts };
      if (pos) report.pos = pos;
      if (liveStatus !== undefined) report.status = liveStatus;
      if (liveAttrs) report.attrs = liveAttrs;
      this.live.apply(entity.id, report, now);
    }
    const late = latePos !== undefined || stateLate;
    if (late) {
      const report: LateReport = { entity, ts: u.ts, at: now };
      if (latePos) report.pos = latePos;
      if (stateLate && status !== undefined) report.status = status;
      if (stateLate && attrs) report.attrs = attrs;
      this.live.late(report);
    }
    return late ? { accepted: true, entityId: entity.id, late: true } : { accepted: true, entityId: entity.id };
  }
}
