/**
 * The book of alarms: one active alarm per originator and type, kept in memory (the rules
 * ask about it on every report) and written through to the store whenever its state
 * changes. A condition that clears must stay clear for `clearHoldS` before the alarm
 * clears; a re-raise within the hold continues the same alarm (flapping damped).
 *
 * What reaches the store when: what the rules change (raise, update, clear) is batched and
 * written by `tick` in one transaction — at the next tick for a new alarm, a clear or a
 * severity change, within valueFlushMs when only readings were refreshed — and its events
 * are emitted after the commit. With
 * synchronous=FULL each commit is an fsync (≈ 1 ms here), which per alarm tripled the
 * ingest's cost in the rules replay of tests/bench/dispatch.bench.ts. What a user does (ack, clear, case
 * link) is written before the call returns. Every read flushes first, so it sees every
 * alarm with its id.
 */
import type { Alarm, AlarmQuery, AlarmSettings, AlarmSeverity, AlarmType } from '../../shared/alarms.ts';
import type { EntityKind } from '../../shared/entities.ts';
import { HttpError } from '../http-error.ts';
import type { DomainEvents } from '../ops/domain-events.ts';
import type { Actor, AlarmsPort } from '../ops/ports.ts';
import type { AlarmRepo } from './alarm-repo.ts';

/** What a rule found: the reading behind it and, when the rule grades it, its own severity. */
export interface Condition {
  detail: string;
  value: number | null;
  severity?: AlarmSeverity;
}

/** The originator as the book needs it (a live entity fits). */
export interface Originator {
  id: string;
  kind: EntityKind;
  name: string;
  orgCode: string;
  gridId: string;
  pos?: { lon: number; lat: number } | undefined;
}

interface ActiveAlarm {
  alarm: Alarm;
  /** The version the store holds; 0 while the alarm is not inserted yet. */
  stored: number;
  /** When the condition went away (0 while it holds). */
  clearingSince: number;
}

export class AlarmBook implements AlarmsPort {
  private readonly byEntity = new Map<string, Map<AlarmType, ActiveAlarm>>();
  private readonly byId = new Map<number, ActiveAlarm>();
  private readonly clearing = new Set<ActiveAlarm>();
  private readonly dirty = new Set<ActiveAlarm>();
  /** Whether the batch holds more than refreshed readings (a new alarm, a clear, a severity change). */
  private urgent = false;
  private lastFlush = 0;
  /** A batch of refreshed readings only waits this long for its commit, ms (a commit is an fsync). */
  valueFlushMs = 10_000;
  /** Called after an originator's set of active alarm types changed (raised or cleared). */
  onActiveSetChanged: (entityId: string, at: number) => void = () => {};

  constructor(
    private readonly repo: AlarmRepo,
    private readonly events: DomainEvents,
    private readonly currentSettings: () => AlarmSettings,
  ) {
    for (const alarm of repo.active()) this.remember({ alarm, stored: alarm.version, clearingSince: 0 });
  }

  settings(): AlarmSettings {
    return this.currentSettings();
  }

  /** The condition holds now: raise the alarm, or update the active one. */
  assert(o: Originator, type: AlarmType, cond: Condition, now: number): void {
    const severity = cond.severity ?? this.currentSettings().severity[type];
    const a = this.byEntity.get(o.id)?.get(type);
    if (!a) return this.raise(o, type, cond, severity, now);
    if (a.clearingSince !== 0) {
      a.clearingSince = 0;
      this.clearing.delete(a);
    }
    const al = a.alarm;
    if (al.severity === severity && al.detail === cond.detail && al.value === cond.value) return;
    if (al.severity !== severity) this.urgent = true;
    al.severity = severity;
    al.detail = cond.detail;
    al.value = cond.value;
    al.updateTs = now;
    if (o.pos) { al.lon = o.pos.lon; al.lat = o.pos.lat; }
    al.version++;
    this.dirty.add(a);
  }

  /** The condition does not hold now: the alarm clears once it has stayed so for clearHoldS. */
  release(entityId: string, type: AlarmType, now: number): void {
    const a = this.byEntity.get(entityId)?.get(type);
    if (!a || a.clearingSince !== 0) return;
    a.clearingSince = now;
    if (this.currentSettings().clearHoldS <= 0) this.finishClear(a, 'system', now);
    else this.clearing.add(a);
  }

  /** Clears at once, without the hold: a graver alarm of the same family took over (bin full → overflow). */
  clearAsSuperseded(entityId: string, type: AlarmType, now: number): void {
    const a = this.byEntity.get(entityId)?.get(type);
    if (!a) return;
    if (a.clearingSince === 0) a.clearingSince = now;
    this.finishClear(a, 'system', now);
  }

  isActive(entityId: string, type: AlarmType): boolean {
    return this.byEntity.get(entityId)?.has(type) ?? false;
  }

  activeTypesOf(entityId: string): AlarmType[] {
    return [...(this.byEntity.get(entityId)?.keys() ?? [])];
  }

  /** Clears the alarms whose hold has passed and writes the batched updates in one transaction. */
  tick(now: number): void {
    const holdMs = this.currentSettings().clearHoldS * 1000;
    for (const a of [...this.clearing]) if (now - a.clearingSince >= holdMs) this.finishClear(a, 'system', now);
    if (this.urgent || now - this.lastFlush >= this.valueFlushMs) {
      this.lastFlush = now;
      this.flush();
    }
  }

  /** Writes every batched change in one transaction, then tells the listeners (new alarms also as 'alarm:raised'). */
  flush(): void {
    this.urgent = false;
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty];
    this.dirty.clear();
    const inserted = new Set<ActiveAlarm>();
    this.repo.transaction(() => {
      for (const a of batch) {
        if (a.stored === 0) inserted.add(a);
        this.persist(a);
      }
    });
    for (const a of batch) {
      this.events.emit('alarm:changed', a.alarm.id);
      if (inserted.has(a)) this.events.emit('alarm:raised', a.alarm.id, a.alarm.type);
    }
  }

  get(alarmId: number): Alarm | undefined {
    this.flush();
    const a = this.byId.get(alarmId);
    return a ? { ...a.alarm } : this.repo.get(alarmId);
  }

  active(): Alarm[] {
    this.flush();
    return [...this.byId.values()].map((a) => ({ ...a.alarm }));
  }

  changedSince(ts: number): Alarm[] {
    this.flush();
    return this.repo.changedSince(ts);
  }

  query(q: AlarmQuery): Alarm[] {
    this.flush();
    return this.repo.query(q);
  }

  /** 确认: who saw it. Once only (409 after); a cleared alarm can still be acknowledged. */
  ack(alarmId: number, actor: Actor, now: number, version?: number): Alarm {
    return this.change(alarmId, version, (al) => {
      if (al.ackTs !== null) throw new HttpError(409, 'invalid_transition', `alarm ${alarmId} was already acknowledged by ${al.ackBy}`);
      al.ackBy = actor.name;
      al.ackTs = now;
      al.updateTs = now;
    });
  }

  /** Manual clear by a user; 409 when it is already cleared. */
  clear(alarmId: number, actor: Actor, now: number, version?: number): Alarm {
    this.flush();
    const a = this.byId.get(alarmId);
    if (!a) {
      const stored = this.repo.get(alarmId);
      if (!stored) throw new HttpError(404, 'not_found', `no alarm ${alarmId}`);
      throw new HttpError(409, 'invalid_transition', `alarm ${alarmId} is already cleared (by ${stored.clearedBy})`);
    }
    if (version !== undefined && version !== a.alarm.version) throw this.stale(alarmId, version);
    a.clearingSince = now;
    this.finishClear(a, actor.name, now);
    this.flush();
    return { ...a.alarm };
  }

  linkCase(alarmId: number, caseId: number): void {
    this.change(alarmId, undefined, (al) => { al.caseId = caseId; });
  }

  private change(alarmId: number, version: number | undefined, mutate: (al: Alarm) => void): Alarm {
    this.flush();
    const a = this.byId.get(alarmId);
    if (a) {
      if (version !== undefined && version !== a.alarm.version) throw this.stale(alarmId, version);
      mutate(a.alarm);
      a.alarm.version++;
      this.write(a);
      return { ...a.alarm };
    }
    const al = this.repo.get(alarmId);
    if (!al) throw new HttpError(404, 'not_found', `no alarm ${alarmId}`);
    if (version !== undefined && version !== al.version) throw this.stale(alarmId, version);
    const expected = al.version;
    mutate(al);
    al.version++;
    if (!this.repo.update(al, expected)) throw this.stale(alarmId, expected);
    this.events.emit('alarm:changed', alarmId);
    return al;
  }

  private stale(alarmId: number, version: number): HttpError {
    return new HttpError(409, 'conflict', `alarm ${alarmId} changed since version ${version}; reload it`);
  }

  private raise(o: Originator, type: AlarmType, cond: Condition, severity: AlarmSeverity, now: number): void {
    const fields = {
      type, severity, entityId: o.id, entityKind: o.kind, entityName: o.name, orgCode: o.orgCode, gridId: o.gridId,
      lon: o.pos?.lon ?? null, lat: o.pos?.lat ?? null, startTs: now, updateTs: now, endTs: null, detail: cond.detail, value: cond.value,
    };
    // Inserted (and given its id) by the next flush.
    const a: ActiveAlarm = { alarm: { ...fields, id: 0, active: true, ackBy: null, ackTs: null, clearedBy: null, caseId: null, version: 1 }, stored: 0, clearingSince: 0 };
    this.remember(a);
    this.dirty.add(a);
    this.urgent = true;
    this.onActiveSetChanged(o.id, now);
  }

  private finishClear(a: ActiveAlarm, by: string, now: number): void {
    const al = a.alarm;
    al.active = false;
    // The alarm ended when its condition did; the hold only confirmed it.
    al.endTs = a.clearingSince;
    al.clearedBy = by;
    al.updateTs = now;
    al.version++;
    this.forget(a);
    this.dirty.add(a);
    this.urgent = true;
    this.onActiveSetChanged(al.entityId, now);
  }

  private write(a: ActiveAlarm): void {
    this.dirty.delete(a);
    this.persist(a);
    this.events.emit('alarm:changed', a.alarm.id);
  }

  private persist(a: ActiveAlarm): void {
    if (a.stored === 0) {
      a.alarm.id = this.repo.insert(a.alarm);
      if (a.alarm.active) this.byId.set(a.alarm.id, a);
    } else if (!this.repo.update(a.alarm, a.stored)) {
      // The book is the only writer of these rows, so a mismatch is a bug, not a race.
      throw new Error(`alarm ${a.alarm.id}: stored version is not ${a.stored}`);
    }
    a.stored = a.alarm.version;
  }

  private remember(a: ActiveAlarm): void {
    let types = this.byEntity.get(a.alarm.entityId);
    if (!types) this.byEntity.set(a.alarm.entityId, (types = new Map()));
    types.set(a.alarm.type, a);
    if (a.alarm.id !== 0) this.byId.set(a.alarm.id, a);
  }

  private forget(a: ActiveAlarm): void {
    const types = this.byEntity.get(a.alarm.entityId);
    types?.delete(a.alarm.type);
    if (types?.size === 0) this.byEntity.delete(a.alarm.entityId);
    this.byId.delete(a.alarm.id);
    this.clearing.delete(a);
  }
}
