/**
 * The district's reporters: road chiefs and supervisors on patrol, the 12345 hotline,
 * citizens' 随手拍, video AI, the media, leaders and other departments file cases (上报)
 * through the CasesPort — the call a road chief's or a citizen's app makes over HTTP.
 *
 * Volume: `perDay` on average, shaped by the local hour (CASE_REPORTS_BY_HOUR), drawn as a
 * Poisson count per step of sim time, so a day of reports comes in a day of sim time at any
 * speed. Places: denser on the key roads (trunk and primary, the brief's named roads count
 * double) and around landmarks; always on or beside a road inside the district. IoT alarm
 * cases are not filed here: they come from the server's rules over the devices' readings.
 */
import type { CaseSource, CaseTaxonomy, Organisation, TaxonomyItem } from '../../shared/cases.ts';
import type { LonLat } from '../../shared/geojson.ts';
import { DistrictLocator } from '../district/locator.ts';
import type { Actor, CasesPort } from '../ops/ports.ts';
import { HOUR_MS, localMinuteOfDay } from './clock.ts';
import type { SimContext } from './context.ts';
import { logOccasionally, type SimLogger, type SimPorts } from './ports.ts';
import { CASE_REPORTS_BY_HOUR, integrateMinutes } from './profiles.ts';
import type { Rng } from './rng.ts';
import type { SimWorld } from './world.ts';
import { WeightedPick } from './weighted.ts';

/** The sources the simulator files for ('iotAlarm' cases come from the alarm rules). */
export type ReportSource = Exclude<CaseSource, 'iotAlarm'>;

export const REPORT_CONFIG = {
  /** Share of reports by source: patrols most, then the hotline and citizens, a few of the rest. */
  sourceMix: {
    roadChief: 0.3, supervisor: 0.22, hotline: 0.18, citizenPhoto: 0.16, videoAi: 0.06, deptTransfer: 0.04, media: 0.02, leader: 0.02,
  } satisfies Record<ReportSource, number>,
  /** Where a report (other than a road chief's, filed where the chief stands) lands. */
  placeMix: { keyRoad: 0.45, landmark: 0.2, anyRoad: 0.35 },
  /** The key roads named in the brief; trunk and primary roads count as key roads too. */
  namedKeyRoads: ['龙奥南路', '经十路', '旅游路', '舜耕路', '马鞍山路'],
  namedKeyRoadWeight: 2,
  /** Busy places draw more reports than quiet ones. */
  landmarkWeight: { market: 3, business: 2, square: 2, scenic: 1.5, heritage: 1.5, venue: 1 } as Record<string, number>,
  landmarkRadiusM: 400,
  /** Off the road's centre line, metres (pavement, kerb). */
  maxOffsetM: 8,
  /** Emergencies (burst pipes, collapses) are rarer than litter and stalls. */
  emergencyWeight: 0.15,
  /** Events (litter, stalls, noise) are what callers complain about most. */
  hotlineEventWeight: 3,
};

const CURVE_SUM = CASE_REPORTS_BY_HOUR.reduce((s, v) => s + v, 0);

const FIXED_ACTORS: Partial<Record<ReportSource, string>> = {
  hotline: 'hotline-12345', citizenPhoto: 'citizen', videoAi: 'video-ai', media: 'media', leader: 'leader-instruction',
};

const DESCRIBE: Record<ReportSource, (place: string, item: string, from: string) => string> = {
  roadChief: (p, i) => `路长巡查发现${p}${i}，已拍照上报`,
  supervisor: (p, i) => `监督员巡查：${p}${i}`,
  hotline: (p, i) => `市民来电反映${p}${i}，希望尽快处理`,
  citizenPhoto: (p, i) => `随手拍：${p}有${i}`,
  videoAi: (p, i) => `视频AI识别：${p}疑似${i}`,
  media: (p, i) => `媒体曝光：${p}${i}问题`,
  leader: (p, i) => `领导交办：请核查处置${p}${i}`,
  deptTransfer: (p, i, from) => `${from}转办：${p}${i}`,
};

export interface RoadChiefOnPatrol {
  id: string;
  lon: number;
  lat: number;
  roadId?: string;
}

export interface ReporterStats {
  filed: number;
  /** The cases module refused the report (or threw). */
  refused: number;
  /** A step that failed outside a report (the port's taxonomy or organisations threw). */
  errors: number;
  bySource: Record<string, number>;
}

interface Place {
  point: LonLat;
  label: string;
  streetCode: string;
}

export class CaseReporters {
  readonly stats: ReporterStats = { filed: 0, refused: 0, errors: 0, bySource: {} };
  private readonly locator: DistrictLocator;
  private readonly roadNames = new Map<string, string>();
  private readonly keyEdges: WeightedPick<number>;
  private readonly allEdges: WeightedPick<number>;
  private readonly landmarks: WeightedPick<{ name: string; point: LonLat }>;
  private readonly sources: WeightedPick<ReportSource>;
  private pools: { taxonomy: CaseTaxonomy; bySource: Map<ReportSource, WeightedPick<TaxonomyItem>> } | null = null;

  constructor(
    private readonly world: SimWorld,
    private readonly perDay: number,
    private readonly rng: Rng,
    private readonly ports: SimPorts,
    private readonly roadChiefs: () => readonly RoadChiefOnPatrol[],
    private readonly log: SimLogger,
  ) {
    const pack = world.pack;
    this.locator = new DistrictLocator(pack);
    const named = new Set(REPORT_CONFIG.namedKeyRoads);
    const keyWeight = new Map<string, number>();
    for (const f of pack.roads.features) {
      const { id, name, class: cls } = f.properties;
      this.roadNames.set(id, name);
      if (named.has(name)) keyWeight.set(id, REPORT_CONFIG.namedKeyRoadWeight);
      else if (cls === 'trunk' || cls === 'primary') keyWeight.set(id, 1);
    }
    const edges = pack.roadGraph.edges;
    this.allEdges = new WeightedPick(edges.map((_, i) => i), edges.map((e) => e[2]));
    const key = edges.flatMap((e, i) => (keyWeight.has(e[3]) ? [i] : []));
    this.keyEdges = new WeightedPick(key, key.map((i) => edges[i]![2] * keyWeight.get(edges[i]![3])!));
    const lms = pack.landmarks.features.map((f) => ({ name: f.properties.name, point: f.geometry.coordinates as LonLat, category: f.properties.category }));
    this.landmarks = new WeightedPick(lms, lms.map((l) => REPORT_CONFIG.landmarkWeight[l.category] ?? 1));
    const mix = Object.entries(REPORT_CONFIG.sourceMix) as [ReportSource, number][];
    this.sources = new WeightedPick(mix.map(([s]) => s), mix.map(([, w]) => w));
  }

  /**
   * Files the reports that fall into the last dtSim of sim time (the clock has already advanced).
   * Never throws; the promise (which never rejects) settles when the cases module has answered
   * them all — the live simulator does not wait for it, the past generator does.
   */
  step(ctx: SimContext, dtSim: number): Promise<void> {
    if (!(this.perDay > 0) || !(dtSim > 0)) return Promise.resolve();
    const filing: Promise<void>[] = [];
    try {
      const cases = this.ports.cases();
      if (cases) this.fileDue(cases, ctx, dtSim, filing);
    } catch (err) {
      logOccasionally(this.log, ++this.stats.errors, { err }, 'simulated reporters failed a step');
    }
    return Promise.all(filing).then(() => undefined);
  }

  private fileDue(cases: CasesPort, ctx: SimContext, dtSim: number, filing: Promise<void>[]): void {
    let from = ctx.clock.simMs - dtSim;
    for (let left = dtSim; left > 0;) {
      // Hour-long chunks keep the curve's shape even when one step spans hours of sim time.
      const chunk = Math.min(left, HOUR_MS);
      const curveHours = integrateMinutes(CASE_REPORTS_BY_HOUR, localMinuteOfDay(from), localMinuteOfDay(from + chunk));
      const count = this.rng.poisson((this.perDay * curveHours) / CURVE_SUM);
      for (let k = 0; k < count; k++) {
        const filed = this.fileOne(cases, ctx.ts);
        if (filed) filing.push(filed);
      }
      from += chunk;
      left -= chunk;
    }
  }

  private fileOne(cases: CasesPort, ts: number): Promise<void> | undefined {
    let source = this.sources.pick(this.rng);
    let place: Place | null = null;
    let actor: Actor | null = null;
    if (source === 'roadChief') {
      const chiefs = this.roadChiefs();
      if (chiefs.length > 0) {
        const chief = this.rng.pick(chiefs);
        place = this.placeAt([chief.lon, chief.lat], chief.roadId === undefined ? null : this.roadNames.get(chief.roadId) ?? null);
        actor = { name: `roadChief:${chief.id}`, role: 'sim' };
      }
      // No road chief on patrol (at night): the supervisors' night round files it instead.
      if (!place) source = 'supervisor';
    }
    for (let tries = 0; !place && tries < 6; tries++) place = this.pickPlace();
    if (!place) return undefined;
    const item = this.itemFor(source, cases.taxonomy());
    if (!item) return undefined;
    let from = '';
    if (source === 'deptTransfer') {
      const depts = cases.organisations().filter((o: Organisation) => o.type === 'department');
      const dept = depts.length > 0 ? this.rng.pick(depts) : null;
      from = dept?.name ?? '相关部门';
      actor = { name: `dept:${dept?.code ?? 'transfer'}`, role: 'sim' };
    }
    actor ??= { name: source === 'supervisor' ? `supervisor:${place.streetCode}` : FIXED_ACTORS[source] ?? source, role: 'sim' };
    const filedFrom = source;
    const input = {
      source, itemCode: item.code, title: `${item.name}（${place.label}）`, description: DESCRIBE[source](place.label, item.name, from),
      lon: place.point[0], lat: place.point[1], address: place.label,
    };
    const by = actor;
    // A refusal thrown before the promise (a bad input) is counted like one that rejects.
    return (async () => cases.report(input, by))().then(() => {
      this.stats.filed++;
      this.stats.bySource[filedFrom] = (this.stats.bySource[filedFrom] ?? 0) + 1;
    }, (err: unknown) => {
      this.stats.refused++;
      this.log.debug({ err, source: filedFrom, itemCode: item.code, ts }, 'simulated report refused by the cases module');
    });
  }

  /** A point beside a road: on a key road, near a landmark, or anywhere on the network. */
  private pickPlace(): Place | null {
    const r = this.rng.next();
    const { keyRoad, landmark } = REPORT_CONFIG.placeMix;
    if (r < keyRoad && this.keyEdges.size > 0) return this.onEdge(this.keyEdges.pick(this.rng), null);
    if (r < keyRoad + landmark && this.landmarks.size > 0) {
      const lm = this.landmarks.pick(this.rng);
      const router = this.world.router;
      const near = router.nodesWithin(lm.point[0], lm.point[1], REPORT_CONFIG.landmarkRadiusM);
      const node = near.length > 0 ? this.rng.pick(near) : router.nearestNode(lm.point[0], lm.point[1]);
      const edges = router.neighbours(node);
      if (edges.length > 0) return this.onEdge(this.rng.pick(edges).edge, `${lm.name}附近`);
    }
    return this.allEdges.size > 0 ? this.onEdge(this.allEdges.pick(this.rng), null) : null;
  }

  /** A random point along an edge, a few metres to one side; null outside the district. */
  private onEdge(edge: number, label: string | null): Place | null {
    const router = this.world.router;
    const [a, b] = router.edgeNodes(edge);
    const [alon, alat] = router.nodeLonLat(a);
    const [blon, blat] = router.nodeLonLat(b);
    const t = this.rng.next();
    const lon = alon + (blon - alon) * t, lat = alat + (blat - alat) * t;
    return this.placeAt(this.offset([lon, lat], [blon - alon, blat - alat]), label ?? this.roadNames.get(router.edgeRoadId(edge)) ?? null);
  }

  private placeAt(point: LonLat, label: string | null): Place | null {
    const where = this.locator.locate(point[0], point[1]);
    if (!where) return null;
    return { point: [round7(point[0]), round7(point[1])], label: label ?? '辖区道路', streetCode: where.streetCode };
  }

  /** Moves a point up to maxOffsetM to either side of a direction (metres → degrees locally). */
  private offset([lon, lat]: LonLat, [dlon, dlat]: [number, number]): LonLat {
    const kx = Math.cos((lat * Math.PI) / 180);
    const len = Math.hypot(dlon * kx, dlat);
    if (len === 0) return [lon, lat];
    const side = this.rng.range(-1, 1) * REPORT_CONFIG.maxOffsetM / 111_195;
    // The unit normal of (dlon·kx, dlat) is (−dlat, dlon·kx) / len, back in degrees of longitude by / kx.
    return [lon + (-dlat / len) * side / kx, lat + ((dlon * kx) / len) * side];
  }

  private itemFor(source: ReportSource, taxonomy: CaseTaxonomy): TaxonomyItem | null {
    if (this.pools?.taxonomy !== taxonomy) this.pools = { taxonomy, bySource: new Map() };
    let pool = this.pools.bySource.get(source);
    if (!pool) {
      pool = itemPool(source, taxonomy.items);
      this.pools.bySource.set(source, pool);
    }
    return pool.size > 0 ? pool.pick(this.rng) : null;
  }
}

/** The items a source plausibly reports, weighted. */
function itemPool(source: ReportSource, items: readonly TaxonomyItem[]): WeightedPick<TaxonomyItem> {
  const fits = (i: TaxonomyItem): boolean => {
    switch (source) {
      case 'roadChief': return i.roadChecklist;
      case 'citizenPhoto': return i.roadChecklist || i.category === 'event';
      case 'videoAi': return i.category === 'event' && !i.emergency;
      default: return true;
    }
  };
  let chosen = items.filter(fits);
  if (chosen.length === 0) chosen = [...items];
  const weight = (i: TaxonomyItem): number =>
    (i.emergency ? REPORT_CONFIG.emergencyWeight : 1) * (source === 'hotline' && i.category === 'event' ? REPORT_CONFIG.hotlineEventWeight : 1);
  return new WeightedPick(chosen, chosen.map(weight));
}

function round7(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}
