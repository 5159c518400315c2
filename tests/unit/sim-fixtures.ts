/**
 * A small synthetic district (a square street grid with one street, one community and four
 * unit grids), a case taxonomy, and in-memory fakes of the ports the simulator calls.
 */
import type { IngestOutcome, IngestSink, IngestUpdate } from '../../server/ingest/types.ts';
import { HttpError } from '../../server/http-error.ts';
import type { Actor, CasesPort, DispatchPort } from '../../server/ops/ports.ts';
import type {
  CaseAction, CaseDetail, CaseStage, CaseSummary, CaseTaxonomy, NewCase, Organisation, TaxonomyItem,
} from '../../shared/cases.ts';
import type { DistrictPack, FleetVehicle, RoadGraph, RoadProps, StaffMember } from '../../shared/district.ts';
import type { UnitRecommendation, UnitState } from '../../shared/dispatch.ts';
import { distanceM } from '../../shared/geo.ts';
import type { Feature, LineStringGeometry, LonLat } from '../../shared/geojson.ts';

export const LON0 = 117.05, LAT0 = 36.64;
/** ≈ 223 m east–west × 222 m north–south blocks */
export const STEP_LON = 0.0025, STEP_LAT = 0.002;
export const SIZE = 10;
/** Metres per degree at the grid's latitude (for Manhattan distances in tests). */
export const M_PER_DEG_LAT = 111_195;
export const M_PER_DEG_LON = 111_195 * Math.cos((LAT0 * Math.PI) / 180);

export const nodeAt = (x: number, y: number): LonLat => [LON0 + x * STEP_LON, LAT0 + y * STEP_LAT];

/** Key roads: h2 is 经十路 (trunk) and h6 a primary road; everything else is residential or secondary. */
export const KEY_ROADS = ['h2', 'h6'];

export function gridPack(fleet: { staff?: StaffMember[]; vehicles?: FleetVehicle[] } = {}): DistrictPack {
  const nodes: LonLat[] = [];
  for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) nodes.push(nodeAt(x, y));
  const id = (x: number, y: number): number => y * SIZE + x;
  const edges: RoadGraph['edges'] = [];
  const roads: Feature<LineStringGeometry, RoadProps>[] = [];
  const line = (a: LonLat, b: LonLat): number => distanceM(a[0], a[1], b[0], b[1]);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x + 1 < SIZE; x++) edges.push([id(x, y), id(x + 1, y), line(nodeAt(x, y), nodeAt(x + 1, y)), `h${y}`]);
    const props: RoadProps = y === 2 ? { id: 'h2', name: '经十路', class: 'trunk' } : y === 6 ? { id: 'h6', name: '东西六路', class: 'primary' } : { id: `h${y}`, name: `东西${y}街`, class: 'residential' };
    roads.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [nodeAt(0, y), nodeAt(SIZE - 1, y)] }, properties: props });
  }
  for (let x = 0; x < SIZE; x++) {
    for (let y = 0; y + 1 < SIZE; y++) edges.push([id(x, y), id(x, y + 1), line(nodeAt(x, y), nodeAt(x, y + 1)), `v${x}`]);
    roads.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: [nodeAt(x, 0), nodeAt(x, SIZE - 1)] }, properties: { id: `v${x}`, name: `南北${x}路`, class: 'secondary' } });
  }
  const box = (x0: number, y0: number, x1: number, y1: number): LonLat[][] => [[
    nodeAt(x0, y0), nodeAt(x1, y0), nodeAt(x1, y1), nodeAt(x0, y1), nodeAt(x0, y0),
  ]];
  const whole = box(-0.5, -0.5, SIZE - 0.5, SIZE - 0.5);
  const half = (SIZE - 1) / 2;
  const grids = [0, 1, 2, 3].map((i) => ({
    type: 'Feature' as const, properties: { id: `g${i + 1}`, streetCode: '370102001', communityCode: '370102001001' },
    geometry: { type: 'Polygon' as const, coordinates: box(-0.5 + (i % 2) * (half + 0.5), -0.5 + Math.floor(i / 2) * (half + 0.5), (i % 2) * (half + 0.5) + half, Math.floor(i / 2) * (half + 0.5) + half) },
  }));
  const empty = { type: 'FeatureCollection' as const, features: [] };
  return {
    meta: {
      id: 'test', name: '测试区', nameEn: 'Test', city: '济南', cityEn: 'Jinan', adcode: '370102',
      center: nodeAt(half, half), bbox: [LON0, LAT0, LON0 + SIZE * STEP_LON, LAT0 + SIZE * STEP_LAT], timezone: 'Asia/Shanghai', crs: 'WGS84', approximate: true, attribution: 'synthetic',
    },
    boundary: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: '测试区' }, geometry: { type: 'Polygon', coordinates: whole } }] },
    streets: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '370102001', name: '解放路街道', nameEn: 'Jiefanglu' }, geometry: { type: 'Polygon', coordinates: whole } }] },
    communities: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: '370102001001', name: '测试社区', streetCode: '370102001' }, geometry: { type: 'Polygon', coordinates: whole } }] },
    grids: { type: 'FeatureCollection', features: grids },
    roads: { type: 'FeatureCollection', features: roads }, roadGraph: { nodes, edges }, water: empty, parks: empty,
    landmarks: { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: '芙蓉街', category: 'heritage' }, geometry: { type: 'Point', coordinates: nodeAt(8, 8) } }] },
    toilets: [], bins: [], staff: fleet.staff ?? [], vehicles: fleet.vehicles ?? [], muckTrucks: [],
  };
}

const item = (code: string, name: string, category: 'component' | 'event', roadChecklist: boolean, emergency = false): TaxonomyItem => ({
  code, name, nameEn: name, category, classCode: code.slice(0, 2), difficulty: emergency ? 'small' : code.endsWith('1') ? 'small' : 'big',
  deptCode: 'D01', emergency, skills: ['cleaning'], roadChecklist,
});

export const TAXONOMY: CaseTaxonomy = {
  classes: [
    { code: '01', name: '公用设施', nameEn: 'Utilities', category: 'component' },
    { code: '02', name: '市容环境', nameEn: 'Cityscape', category: 'event' },
  ],
  items: [
    item('01.01.001', '井盖破损', 'component', true),
    item('01.02.002', '路灯损坏', 'component', true),
    item('01.03.002', '变压箱涂鸦', 'component', false),
    item('02.01.001', '暴露垃圾', 'event', true),
    item('02.02.002', '占道经营', 'event', true),
    item('02.03.002', '夜间施工噪音', 'event', false),
    item('02.04.001', '道路塌陷', 'event', true, true),
  ],
};

export const ORGANISATIONS: Organisation[] = [
  { code: '370102001', name: '解放路街道', nameEn: 'Jiefanglu', type: 'street' },
  { code: 'D01', name: '区城管局', nameEn: 'City management', type: 'department' },
  { code: 'D02', name: '区住建局', nameEn: 'Housing', type: 'department' },
];

export class FakeSink implements IngestSink {
  updates: IngestUpdate[] = [];
  submit(update: IngestUpdate): IngestOutcome {
    this.updates.push(update);
    return { accepted: true, entityId: update.deviceId };
  }
}

const unsupported = (what: string): never => { throw new Error(`fake CasesPort: ${what} is not used by the simulator`); };

/** Cases in memory with the workflow steps the simulator and the duty officer take; a stale version is a 409. */
export class FakeCases implements CasesPort {
  readonly cases = new Map<number, CaseDetail>();
  readonly reports: { input: NewCase; actor: Actor }[] = [];
  readonly calls: { method: string; caseId: number; action?: string; actor: Actor; opts?: unknown }[] = [];
  /** Throw this instead of acting, once, for the next call of the named method. */
  failNext: { method: string; error: Error } | null = null;
  private nextId = 1;

  constructor(private readonly now: () => number, private readonly tax: CaseTaxonomy = TAXONOMY) {}

  taxonomy(): CaseTaxonomy { return this.tax; }
  item(code: string): TaxonomyItem | undefined { return this.tax.items.find((i) => i.code === code); }
  organisations(): Organisation[] { return ORGANISATIONS; }
  async get(caseId: number): Promise<CaseSummary | undefined> { return this.cases.get(caseId); }
  async detail(caseId: number): Promise<CaseDetail | undefined> { return this.cases.get(caseId); }
  async openCases(): Promise<CaseSummary[]> { return [...this.cases.values()].filter((c) => !['closed', 'evaluated', 'voided'].includes(c.stage)); }
  async changedSince(ts: number): Promise<CaseSummary[]> { return [...this.cases.values()].filter((c) => c.updatedTs >= ts); }
  async fedBackBy(): Promise<never> { return unsupported('fedBackBy'); }

  async report(input: NewCase, actor: Actor): Promise<CaseDetail> {
    this.reports.push({ input, actor });
    return this.add({ stage: 'reported', lon: input.lon, lat: input.lat, itemCode: input.itemCode, source: input.source }, actor);
  }

  /** A case as if it had reached `stage`, its last timeline entry by `actor` at `ts`. */
  add(o: { stage: CaseStage; lon?: number; lat?: number; itemCode?: string; source?: NewCase['source']; suspended?: boolean; ts?: number; emergency?: boolean }, actor: Actor): CaseDetail {
    const id = this.nextId++;
    const ts = o.ts ?? this.now();
    const it = this.item(o.itemCode ?? '02.01.001')!;
    const c: CaseDetail = {
      id, code: `T-${id}`, title: it.name, itemCode: it.code, category: it.category, source: o.source ?? 'hotline', stage: o.stage,
      suspended: o.suspended ?? false, emergency: o.emergency ?? it.emergency, difficulty: it.difficulty,
      location: { lon: o.lon ?? LON0, lat: o.lat ?? LAT0, streetCode: '370102001', communityCode: null, gridId: null, address: null },
      assignedOrg: null, assignment: null, alarmId: null, escalationLevel: 0, reportedBy: actor.name, createdTs: ts, updatedTs: ts, closedTs: null,
      clocks: [], version: 1, description: '', photos: [], requests: [], evaluation: null, citizenRating: null,
      timeline: [{ id: 1, caseId: id, ts, actor: actor.name, actorRole: actor.role, action: 'report', fromStage: null, toStage: o.stage, note: null, data: null }],
    };
    this.cases.set(id, c);
    return c;
  }

  /** Records an action on a case by someone (a person at the console, the SLA system…). */
  touch(caseId: number, action: CaseAction, actor: Actor, to?: CaseStage, ts = this.now()): CaseDetail {
    const c = this.cases.get(caseId)!;
    const from = c.stage;
    if (to) c.stage = to;
    c.version++;
    c.updatedTs = ts;
    c.timeline.push({ id: c.timeline.length + 1, caseId, ts, actor: actor.name, actorRole: actor.role, action, fromStage: from, toStage: c.stage, note: null, data: null });
    return c;
  }

  async transition(caseId: number, action: CaseAction, actor: Actor, opts: { version?: number; note?: string; score?: number }): Promise<CaseDetail> {
    this.calls.push({ method: 'transition', caseId, action, actor, opts });
    this.maybeFail('transition');
    const c = this.checked(caseId, opts.version);
    const next: Partial<Record<CaseAction, [CaseStage, CaseStage]>> = {
      register: ['reported', 'registered'], verifyPass: ['fedBack', 'verified'], verifyFail: ['fedBack', 'dispatched'],
      close: ['verified', 'closed'], evaluate: ['closed', 'evaluated'],
    };
    const step = next[action];
    if (!step || step[0] !== c.stage) throw new HttpError(409, 'invalid_transition', `${action} from ${c.stage}`);
    return this.touch(caseId, action, actor, step[1]);
  }

  async dispatch(caseId: number, a: CaseDetail['assignment'] & object, actor: Actor, opts: { version?: number }): Promise<CaseDetail> {
    const c = this.checked(caseId, opts.version);
    c.assignment = a;
    return this.touch(caseId, 'dispatch', actor, 'dispatched');
  }

  async unitStep(caseId: number, step: 'accept' | 'enRoute' | 'arrive', actor: Actor): Promise<CaseDetail> {
    this.calls.push({ method: 'unitStep', caseId, action: step, actor });
    return this.touch(caseId, step, actor, 'handling');
  }

  async feedback(caseId: number, actor: Actor, opts: { note: string }): Promise<CaseDetail> {
    this.calls.push({ method: 'feedback', caseId, actor, opts });
    return this.touch(caseId, 'feedback', actor, 'fedBack');
  }

  async release(): Promise<CaseDetail> { return unsupported('release'); }
  async request(): Promise<CaseDetail> { return unsupported('request'); }
  async decide(): Promise<CaseDetail> { return unsupported('decide'); }
  async rate(): Promise<CaseDetail> { return unsupported('rate'); }
  async addPhoto(): Promise<CaseDetail> { return unsupported('addPhoto'); }
  async appendSystem(): Promise<void> { unsupported('appendSystem'); }
  async escalate(): Promise<void> { unsupported('escalate'); }
  async openForAlarm(): Promise<CaseDetail | null> { return unsupported('openForAlarm'); }

  private maybeFail(method: string): void {
    if (this.failNext?.method !== method) return;
    const err = this.failNext.error;
    this.failNext = null;
    throw err;
  }

  private checked(caseId: number, version: number | undefined): CaseDetail {
    const c = this.cases.get(caseId);
    if (!c) throw new HttpError(404, 'not_found', `case ${caseId}`);
    if (version !== undefined && version !== c.version) throw new HttpError(409, 'conflict', `case ${caseId} is at version ${c.version}`);
    return c;
  }
}

/** Units of the simulator in memory; records every call the crews and the duty officer make. */
export class FakeDispatch implements DispatchPort {
  readonly states = new Map<string, UnitState>();
  readonly steps: { unitId: string; step: string; actor: Actor; opts?: { note?: string }; simTime: number }[] = [];
  readonly dispatched: { caseId: number; unitId: string; actor: Actor; opts: { version?: number; note?: string } }[] = [];
  readonly recommendCalls: { caseId: number; limit?: number }[] = [];
  recommendation: UnitRecommendation[] = [];
  /** Errors to throw for the next crew steps, in order. */
  stepErrors: Error[] = [];
  /** Sim time at each call (set by the test from the simulator's stats). */
  simTime: () => number = () => 0;
  failDispatch: Error | null = null;

  constructor(private readonly cases: FakeCases, private readonly now: () => number) {}

  addUnit(entityId: string, kind: 'staff' | 'vehicle'): void {
    this.states.set(entityId, { entityId, kind, name: entityId, orgCode: '370102001', gridId: 'g1', skills: [], status: 'available', since: this.now(), caseId: null, warning: null, version: 1 });
  }

  units(): UnitState[] { return [...this.states.values()]; }
  unit(entityId: string): UnitState | undefined { return this.states.get(entityId); }
  engaged(): UnitState[] { return [...this.states.values()].filter((u) => u.caseId !== null); }

  async recommend(caseId: number, limit?: number): Promise<UnitRecommendation[]> {
    this.recommendCalls.push({ caseId, ...(limit === undefined ? {} : { limit }) });
    return this.recommendation.slice(0, limit ?? 5);
  }

  async dispatchCase(caseId: number, unitId: string, actor: Actor, opts: { version?: number; note?: string }): Promise<CaseDetail> {
    this.dispatched.push({ caseId, unitId, actor, opts });
    if (this.failDispatch) {
      const err = this.failDispatch;
      this.failDispatch = null;
      throw err;
    }
    const d = await this.cases.dispatch(caseId, { unitId, unitName: unitId, dispatchedTs: this.now(), etaTs: null, route: [], arrivedTs: null, by: actor.name }, actor, opts);
    this.set(unitId, { status: 'dispatched', caseId });
    return d;
  }

  async crewStep(unitId: string, step: 'accept' | 'enRoute' | 'done', actor: Actor, opts?: { note?: string }): Promise<CaseDetail> {
    this.steps.push({ unitId, step, actor, ...(opts ? { opts } : {}), simTime: this.simTime() });
    const err = this.stepErrors.shift();
    if (err) throw err;
    const u = this.states.get(unitId);
    if (!u || u.caseId === null) throw new HttpError(409, 'invalid_transition', `${unitId} has no task`);
    const caseId = u.caseId;
    if (step === 'done') {
      this.set(unitId, { status: 'returning', caseId: null });
      return this.cases.feedback(caseId, actor, { note: opts?.note ?? '' });
    }
    this.set(unitId, { status: 'enRoute' });
    return this.cases.unitStep(caseId, step, actor);
  }

  /** What the server does when it takes the unit off the case (release, reassign). */
  release(unitId: string): void {
    this.set(unitId, { status: 'available', caseId: null });
  }

  set(unitId: string, patch: Partial<UnitState>): void {
    const u = this.states.get(unitId)!;
    this.states.set(unitId, { ...u, ...patch, version: u.version + 1, since: this.now() });
  }
}
