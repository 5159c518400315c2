/**
 * The ops stream's state: the cases, alarms and engaged units that screens hold, each with
 * the ops version of its last change, so that every screen is sent only what changed since
 * the version it holds — the discipline of the entity stream (server/live/fan-out.ts).
 *
 * The modules say *that* something changed (DomainEvents carry ids); once per tick `flush`
 * reads the current rows through the ports, so a burst of changes to one case costs one
 * read and one delta entry. Alarms are read from the asynchronous store: each change is read
 * when it is told (the newest version wins) and taken by the next flush. The window: open cases and those that ended in the last 24 h,
 * active alarms and those cleared in the last hour, units that are not simply available,
 * off duty or offline.
 */
import type { Alarm } from '../../shared/alarms.ts';
import { OPEN_STAGES, type CaseSummary } from '../../shared/cases.ts';
import type { UnitState, UnitStatus } from '../../shared/dispatch.ts';
import type { OpsDelta, OpsSnapshot, OpsStats } from '../../shared/ops.ts';
import type { DomainEvents } from './domain-events.ts';
import { computeOpsStats } from './ops-stats.ts';
import type { AlarmsPort, CasesPort, DispatchPort } from './ports.ts';

export interface OpsPorts {
  cases: () => CasesPort | undefined;
  alarms: () => AlarmsPort | undefined;
  dispatch: () => DispatchPort | undefined;
}

const CASE_WINDOW_MS = 24 * 3_600_000;
const ALARM_WINDOW_MS = 3_600_000;
const QUIET_UNIT: readonly UnitStatus[] = ['available', 'offDuty', 'offline'];
/** Removals remembered for screens that are behind; one further behind gets a snapshot. */
const MAX_REMOVALS = 5000;

interface Held<T> { v: number; item: T }
interface HeldItem { cases: CaseSummary; alarms: Alarm; units: UnitState }
type Removal = { v: number; kind: 'cases'; id: number } | { v: number; kind: 'alarms'; id: number } | { v: number; kind: 'units'; id: string };

export class OpsState {
  private _version = 0;
  private readonly cases = new Map<number, Held<CaseSummary>>();
  private readonly alarms = new Map<number, Held<Alarm>>();
  private readonly units = new Map<string, Held<UnitState>>();
  private removals: Removal[] = [];
  /** A base version below this may have missed removals: it needs a snapshot. */
  private removalFloor = 0;
  private stats: Held<OpsStats>;
  private statsKey = '';
  /** Cases read after their 'case:changed' (null: gone), for the next flush; the store is asynchronous, the tick is not. */
  private readonly readCases = new Map<number, CaseSummary | null>();
  /** The latest read started per case: an older read that ends later must not win. */
  private readonly caseReads = new Map<number, number>();
  private readSeq = 0;
  private readonly reading = new Set<Promise<void>>();
  /** Alarms read since the last flush, by id: the newest version read. */
  private readonly readAlarms = new Map<number, Alarm>();
  private readonly dirtyUnits = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly ports: OpsPorts, events: DomainEvents, private readonly now: () => number, private readonly timeZone: string,
    /** Told when a changed case or alarm could not be read (the screens miss that change until the next one). */
    private readonly onReadError: (err: unknown) => void = () => {},
  ) {
    this.unsubscribe.push(
      events.on('case:changed', (id) => { this.readCase(id); }),
      events.on('alarm:changed', (id) => this.readAlarm(id)),
      events.on('unit:changed', (id) => { this.dirtyUnits.add(id); }),
    );
    this.stats = { v: 0, item: computeOpsStats(now(), timeZone, [], [], {}) };
  }

  get version(): number {
    return this._version;
  }

  /** Settles when the case reads started so far have (tests: before a flush). */
  async settled(): Promise<void> {
    while (this.reading.size > 0) await Promise.all([...this.reading]);
  }

  /** Loads the window from the ports (at start, once the modules are up). */
  async load(): Promise<void> {
    const now = this.now();
    const cases = this.ports.cases();
    if (cases) for (const c of [...await cases.openCases(), ...await cases.changedSince(now - CASE_WINDOW_MS)]) this.put('cases', c.id, c, this.caseInWindow(c, now));
    const alarms = this.ports.alarms();
    if (alarms) for (const a of [...(await alarms.active()), ...(await alarms.changedSince(now - ALARM_WINDOW_MS))]) this.put('alarms', a.id, a, this.alarmInWindow(a, now));
    const dispatch = this.ports.dispatch();
    if (dispatch) for (const u of dispatch.units()) this.put('units', u.entityId, u, !QUIET_UNIT.includes(u.status));
    this.flush();
  }

  /** Reads what changed since the last flush, evicts what left the window, refreshes the stats. Once per tick. */
  flush(): void {
    const now = this.now();
    const cases = this.ports.cases();
    if (cases) {
      for (const [id, c] of this.readCases) if (c) this.put('cases', id, c, this.caseInWindow(c, now));
      for (const [id, h] of this.cases) if (!this.caseInWindow(h.item, now)) this.evict('cases', id);
    }
    this.readCases.clear();
    const alarms = this.ports.alarms();
    if (alarms) {
      for (const [id, a] of this.readAlarms) {
        // A read that finished after a newer one (PostgreSQL answers on several connections) is not taken.
        if ((this.alarms.get(id)?.item.version ?? 0) <= a.version) this.put('alarms', id, a, this.alarmInWindow(a, now));
      }
      for (const [id, h] of this.alarms) if (!this.alarmInWindow(h.item, now)) this.evict('alarms', id);
    }
    this.readAlarms.clear();
    const dispatch = this.ports.dispatch();
    if (dispatch) {
      for (const id of this.dirtyUnits) {
        const u = dispatch.unit(id);
        if (u) this.put('units', id, u, !QUIET_UNIT.includes(u.status));
      }
    }
    this.dirtyUnits.clear();
    this.refreshStats(now);
  }

  /** Reads a changed case for the next flush; a failed read goes to onReadError and the case waits for its next change. */
  private readCase(id: number): Promise<void> | undefined {
    const cases = this.ports.cases();
    if (!cases) return undefined;
    const seq = ++this.readSeq;
    this.caseReads.set(id, seq);
    const read = cases.get(id).then((c) => {
      if (this.caseReads.get(id) !== seq) return;
      this.caseReads.delete(id);
      this.readCases.set(id, c ?? null);
    }, (err: unknown) => { this.onReadError(err); }).finally(() => this.reading.delete(read));
    this.reading.add(read);
    return read;
  }

  snapshot(): OpsSnapshot {
    return {
      version: this._version,
      cases: [...this.cases.values()].map((h) => h.item),
      alarms: [...this.alarms.values()].map((h) => h.item),
      units: [...this.units.values()].map((h) => h.item),
      stats: this.stats.item,
    };
  }

  /** What changed after `base`; null when nothing did; 'snapshot' when the screen is too far behind for a delta. */
  deltaSince(base: number): OpsDelta | null | 'snapshot' {
    if (base >= this._version) return null;
    if (base < this.removalFloor) return 'snapshot';
    const pick = <K, T>(m: Map<K, Held<T>>) => [...m.values()].filter((h) => h.v > base).map((h) => h.item);
    const removed: OpsDelta['removed'] = { cases: [], alarms: [], units: [] };
    for (let i = this.removals.length - 1; i >= 0 && this.removals[i]!.v > base; i--) {
      const r = this.removals[i]!;
      if (r.kind === 'units') removed.units.push(r.id);
      else removed[r.kind].push(r.id);
    }
    return { version: this._version, baseVersion: base, cases: pick(this.cases), alarms: pick(this.alarms), units: pick(this.units), removed, stats: this.stats.item };
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }

  private readAlarm(id: number): void {
    const alarms = this.ports.alarms();
    if (!alarms) return;
    alarms.get(id).then((a) => {
      if (a && (this.readAlarms.get(id)?.version ?? 0) <= a.version) this.readAlarms.set(id, a);
    }, this.onReadError);
  }

  private put<K extends 'cases' | 'alarms' | 'units'>(kind: K, id: number | string, item: HeldItem[K], inWindow: boolean): void {
    if (!inWindow) return this.evict(kind, id);
    (this[kind] as Map<number | string, Held<HeldItem[K]>>).set(id, { v: ++this._version, item });
  }

  private evict(kind: 'cases' | 'alarms' | 'units', id: number | string): void {
    const map = this[kind] as Map<number | string, unknown>;
    if (!map.delete(id)) return;
    this.removals.push({ v: ++this._version, kind, id } as Removal);
    if (this.removals.length > MAX_REMOVALS) {
      const dropped = this.removals.splice(0, this.removals.length - MAX_REMOVALS / 2);
      this.removalFloor = dropped[dropped.length - 1]!.v;
    }
  }

  private refreshStats(now: number): void {
    const unitsByStatus = this.ports.dispatch()?.units().reduce<Partial<Record<UnitStatus, number>>>((acc, u) => {
      acc[u.status] = (acc[u.status] ?? 0) + 1;
      return acc;
    }, {}) ?? {};
    const stats = computeOpsStats(now, this.timeZone, [...this.cases.values()].map((h) => h.item), [...this.alarms.values()].map((h) => h.item), unitsByStatus);
    const key = JSON.stringify({ ...stats, ts: 0 });
    if (key === this.statsKey) return;
    this.statsKey = key;
    this.stats = { v: ++this._version, item: stats };
  }

  private caseInWindow(c: CaseSummary, now: number): boolean {
    return OPEN_STAGES.includes(c.stage) || now - c.updatedTs < CASE_WINDOW_MS;
  }

  private alarmInWindow(a: Alarm, now: number): boolean {
    return a.active || (a.endTs !== null && now - a.endTs < ALARM_WINDOW_MS);
  }
}
