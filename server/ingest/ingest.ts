/**
 * Ingest: where every report from every source becomes (or is refused as) a change to the
 * live state. It resolves the device, validates, converts the CRS to WGS-84, filters,
 * derives what the domain defines (bin status from fill, toilet odour alarm), and counts
 * each drop by reason so that nothing is lost silently.
 */
import {
  BIN_FULL_PCT, BIN_OVERFLOW_PCT, binStatusFor, H2S_LIMIT_MG_M3, isOdourAlarm, NH3_LIMIT_MG_M3, type Position, type ToiletAttrs, type ToiletClass,
} from '../../shared/entities.ts';
import { toWgs84 } from '../../shared/geo.ts';
import type { LiveState } from '../live/live-state.ts';
import { checkAttrs, isStatusOf } from './attrs-check.ts';
import { checkPosition, checkTimestamp, type FilterLimits } from './position-filter.ts';
import { DROP_REASONS, type DeviceResolver, type DropReason, type IngestOutcome, type IngestSink, type IngestSource, type IngestUpdate } from './types.ts';

export interface DroppedReport { at: number; source: IngestSource; deviceId: string; reason: DropReason; detail: string }

export interface IngestStats {
  accepted: number;
  dropped: Record<DropReason, number>;
  bySource: Record<string, { accepted: number; dropped: number }>;
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

export class Ingest implements IngestSink {
  private readonly stats: IngestStats = {
    accepted: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
    bySource: {},
    recentDrops: [],
  };

  /** DOMAIN.md's defaults until the alarm settings say otherwise (server/plugins/alarms.ts keeps them in step). */
  thresholds: DerivationThresholds = { binFullPct: BIN_FULL_PCT, binOverflowPct: BIN_OVERFLOW_PCT, nh3LimitMgM3: NH3_LIMIT_MG_M3, h2sLimitMgM3: H2S_LIMIT_MG_M3 };

  constructor(
    private readonly live: LiveState,
    private registry: DeviceResolver,
    private readonly limits: FilterLimits,
    private readonly now: () => number = Date.now,
    /**
     * Sources whose world runs faster than the wall clock their reports are stamped with:
     * the simulator at SIM_SPEED 60 moves a truck an hour's distance per wall minute, which
     * is no impossible jump for it.
     */
    private readonly timeScale: Partial<Record<IngestSource, number>> = {},
  ) {}

  /**
   * The device registry is built after the live state (it adds entities to it), so the running
   * server hands it over here once it exists; until then nothing reports.
   */
  useDevices(registry: DeviceResolver): void {
    this.registry = registry;
  }

  submit(update: IngestUpdate): IngestOutcome {
    const outcome = this.evaluate(update);
    const src = (this.stats.bySource[update.source] ??= { accepted: 0, dropped: 0 });
    if (outcome.accepted) {
      this.stats.accepted++;
      src.accepted++;
      this.registry.accepted?.(update.source, update.deviceId, outcome.entityId, this.now());
    } else {
      if (typeof update.deviceId === 'string') this.registry.dropped?.(update.source, update.deviceId, outcome.reason, outcome.detail, this.now());
      this.stats.dropped[outcome.reason]++;
      src.dropped++;
      this.stats.recentDrops.push({ at: this.now(), source: update.source, deviceId: String(update.deviceId), reason: outcome.reason, detail: outcome.detail });
      if (this.stats.recentDrops.length > RECENT_DROPS) this.stats.recentDrops.splice(0, this.stats.recentDrops.length - RECENT_DROPS);
    }
    return outcome;
  }

  snapshotStats(): IngestStats {
    return structuredClone(this.stats);
  }

  private evaluate(u: IngestUpdate): IngestOutcome {
    const drop = (reason: DropReason, detail: string): IngestOutcome => ({ accepted: false, reason, detail });
    if (typeof u !== 'object' || u === null || typeof u.deviceId !== 'string' || u.deviceId.length === 0) return drop('malformed', 'deviceId missing');
    const resolved = this.registry.resolve(u.source, u.deviceId);
    if (!resolved.ok) return drop(resolved.reason, resolved.detail);
    const entity = this.live.get(resolved.entityId);
    if (!entity) return drop('unknownDevice', `${u.source} device ${u.deviceId} is bound to entity ${resolved.entityId}, which does not exist`);
    const now = this.now();
    const t = checkTimestamp(u.ts, now, this.limits);
    if (!t.ok) return drop(t.reason, t.detail);

    let pos: Position | undefined;
    if (u.pos !== undefined) {
      if (entity.kind === 'toilet' || entity.kind === 'bin') return drop('malformed', `${entity.kind} positions are fixed by the district pack`);
      const p = u.pos;
      let lon = p.lon;
      let lat = p.lat;
      if (p.crs !== undefined && p.crs !== 'WGS84' && Number.isFinite(lon) && Number.isFinite(lat)) [lon, lat] = toWgs84(p.crs, lon, lat);
      pos = { lon, lat, ts: u.ts, ...(p.speed !== undefined ? { speed: p.speed } : {}), ...(p.heading !== undefined ? { heading: p.heading } : {}) };
      const scale = this.timeScale[u.source] ?? 1;
      const limits = scale === 1 ? this.limits : { ...this.limits, maxSpeedKph: this.limits.maxSpeedKph * scale };
      const v = checkPosition(pos, p.valid !== false, entity.pos, now, limits);
      if (!v.ok) return drop(v.reason, v.detail);
    }

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
      if (entity.kind === 'toilet' && (attrs.nh3 !== undefined || attrs.h2s !== undefined || attrs.toiletClass !== undefined)) {
        const merged = { ...entity.attrs, ...attrs } as ToiletAttrs;
        attrs = { ...attrs, odourAlarm: isOdourAlarm(merged.toiletClass, merged.nh3, merged.h2s, th.nh3LimitMgM3, th.h2sLimitMgM3) };
      }
    }
    if (pos === undefined && status === undefined && attrs === undefined) return drop('malformed', 'report carries no position, status or attributes');
    this.live.apply(entity.id, { ...(pos ? { pos } : {}), ...(status !== undefined ? { status } : {}), ...(attrs ? { attrs } : {}) }, now);
    return { accepted: true, entityId: entity.id };
  }
}
