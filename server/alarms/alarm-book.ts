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
 * ingest's cost in the rules replay of tests/bench/dispatch.bench.ts. The rules run
 * synchronously on the change stream while the store is asynchronous: batches are committed
 * one at a time, in order (a SerialWriter), each from the state at its start; a batch that
 * fails goes back into the next one (never dropped) and the failure is the caller's to log.
 * What a user does (ack, clear, case link) is committed before the call resolves. Every read
 * flushes first, so it sees every alarm with its id.
 */
import type { Alarm, AlarmQuery, AlarmSettings, AlarmSeverity, AlarmType } from '../../shared/alarms.ts';
import type { EntityKind } from '../../shared/entities.ts';
import { HttpError } from '../http-error.ts';
import type { DomainEvents } from '../ops/domain-events.ts';
import type { Actor, AlarmsPort } from '../ops/ports.ts';
import { SerialWriter } from '../store/sql/serial-writer.ts';
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
  private readonly writer = new SerialWriter();
  /** Work the book's events started (the auto case and its link): reads wait for it, as they did when it ran inside the commit. */
  private readonly followUps = new Set<Promise<unknown>>();
  /** The alarms of the batch whose events are being told. */
  private telling = new Map<number, Alarm>();
  /** Whether the batch holds more than refreshed readings (a new alarm, a clear, a severity change). */
  private urgent = false;
  private lastFlush = 0;
  /** A batch of refreshed readings only waits this long for its commit, ms (a commit is an fsync). */
  valueFlushMs = 10_000;
  /** Called after an originator's set of active alarm types changed (raised or cleared). */
  onActiveSetChanged: (entityId: string, at: number) => void = () => {};
  /** Told when a batch the tick started could not be committed (it stays queued for the next one). */
  onFlushError: (err: unknown) => void = () => {};

  private constructor(
    private readonly repo: AlarmRepo,
    private readonly events: DomainEvents,
    private readonly currentSettings: () => AlarmSettings,
  ) {}

  /** The book with the store's active alarms in it. */
  static async open(repo: AlarmRepo, events: DomainEvents, currentSettings: () => AlarmSettings): Promise<AlarmBook> {
    const book = new AlarmBook(repo, events, currentSettings);
    for (const alarm of await repo.active()) book.remember({ alarm, stored: alarm.version, clearingSince: 0 });
    return book;
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

  /**
   * Clears the alarms whose hold has passed and starts the commit of the batched updates (one
   * transaction, behind any still running); a failed commit is told to onFlushError.
   */
  tick(now: number): void {
    const holdMs = this.currentSettings().clearHoldS * 1000;
    for (const a of [...this.clearing]) if (now - a.clearingSince >= holdMs) this.finishClear(a, 'system', now);
    if (this.urgent || now - this.lastFlush >= this.valueFlushMs) {
      this.lastFlush = now;
      this.flush().catch((err: unknown) => this.onFlushError(err));
    }
  }

  /**
   * Commits every batched change in one transaction, after the batches before it, then tells the
   * listeners (new alarms also as 'alarm:raised'). Rejects when the store fails; the batch stays
   * queued for the next flush.
   */
  flush(): Promise<void> {
    this.urgent = false;
    return this.writer.run(() => this.commitBatch());
  }

  private async commitBatch(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty];
    this.dirty.clear();
    // The rules keep changing the alarms while the transaction runs: it writes them as they are now.
    const rows = batch.map((a) => ({ a, row: { ...a.alarm }, expected: a.stored }));
    let ids: number[];
    try {
      ids = await this.repo.sql.transaction(async (tx) => {
        const out: number[] = [];
        for (const { row, expected } of rows) {
          if (expected === 0) out.push(await this.repo.insert(row, tx));
          // The book is the only writer of these rows, so a mismatch is a bug, not a race.
          else if (!(await this.repo.update(row, expected, tx))) throw new Error(`alarm ${row.id}: stored version is not ${expected}`);
          else out.push(row.id);
        }
        return out;
      });
    } catch (err) {
      for (const a of batch) this.dirty.add(a);
      throw err;
    }
    const inserted: ActiveAlarm[] = [];
    rows.forEach(({ a, row, expected }, i) => {
      if (expected === 0) {
        a.alarm.id = ids[i]!;
        inserted.push(a);
        // Cleared while it was being inserted: forgotten already, so not filed under its id.
        if (a.alarm.active) this.byId.set(a.alarm.id, a);
      }
      a.stored = row.version;
    });
    this.telling = new Map(rows.map(({ a }) => [a.alarm.id, { ...a.alarm }]));
    try {
      for (const { a } of rows) {
        this.events.emit('alarm:changed', a.alarm.id);
        if (inserted.includes(a)) this.events.emit('alarm:raised', a.alarm.id, a.alarm.type);
      }
    } finally {
      this.telling = new Map();
    }
  }

  told(alarmId: number): Alarm | undefined {
    const a = this.telling.get(alarmId);
    return a && { ...a };
  }

  follow(work: Promise<unknown>): void {
    const tracked = work.finally(() => { this.followUps.delete(tracked); });
    // The work's own failure is its starter's to report; here it only ends the wait.
    tracked.catch(() => undefined);
    this.followUps.add(tracked);
  }

  /** Commits what is batched, then waits for the work its events started. */
  private async settled(): Promise<void> {
    await this.flush();
    while (this.followUps.size > 0) await Promise.allSettled([...this.followUps]);
  }

  async get(alarmId: number): Promise<Alarm | undefined> {
    await this.settled();
    const a = this.byId.get(alarmId);
    return a ? { ...a.alarm } : this.repo.get(alarmId);
  }

  async active(): Promise<Alarm[]> {
    await this.settled();
    return [...this.byId.values()].map((a) => ({ ...a.alarm }));
  }

  async changedSince(ts: number): Promise<Alarm[]> {
    await this.settled();
    return this.repo.changedSince(ts);
  }

  async query(q: AlarmQuery): Promise<Alarm[]> {
    await this.settled();
    return this.repo.query(q);
  }

  /** 确认: who saw it. Once only (409 after); a cleared alarm can still be acknowledged. */
  ack(alarmId: number, actor: Actor, now: number, version?: number): Promise<Alarm> {
    return this.change(alarmId, version, (al) => {
      if (al.ackTs !== null) throw new HttpError(409, 'invalid_transition', `alarm ${alarmId} was already acknowledged by ${al.ackBy}`);
      al.ackBy = actor.name;
      al.ackTs = now;
      al.updateTs = now;
    });
  }

  /** Manual clear by a user; 409 when it is already cleared. */
  async clear(alarmId: number, actor: Actor, now: number, version?: number): Promise<Alarm> {
    await this.flush();
    const a = this.byId.get(alarmId);
    if (!a) {
      const stored = await this.repo.get(alarmId);
      if (!stored) throw new HttpError(404, 'not_found', `no alarm ${alarmId}`);
      throw new HttpError(409, 'invalid_transition', `alarm ${alarmId} is already cleared (by ${stored.clearedBy})`);
    }
    if (version !== undefined && version !== a.alarm.version) throw this.stale(alarmId, version);
    a.clearingSince = now;
    this.finishClear(a, actor.name, now);
    const cleared = { ...a.alarm };
    await this.flush();
    return cleared;
  }

  async linkCase(alarmId: number, caseId: number): Promise<void> {
    await this.change(alarmId, undefined, (al) => { al.caseId = caseId; });
  }

  /** Drains the commits in flight (closing). */
  settle(): Promise<void> {
    return this.writer.drain();
  }

  private async change(alarmId: number, version: number | undefined, mutate: (al: Alarm) => void): Promise<Alarm> {
    await this.flush();
    const a = this.byId.get(alarmId);
    if (a) {
      if (version !== undefined && version !== a.alarm.version) throw this.stale(alarmId, version);
      mutate(a.alarm);
      a.alarm.version++;
      const changed = { ...a.alarm };
      // Committed with whatever the rules batched since: one transaction, in order.
      this.dirty.add(a);
      await this.flush();
      return changed;
    }
    const al = await this.repo.get(alarmId);
    if (!al) throw new HttpError(404, 'not_found', `no alarm ${alarmId}`);
    if (version !== undefined && version !== al.version) throw this.stale(alarmId, version);
    const expected = al.version;
    mutate(al);
    al.version++;
    if (!(await this.repo.update(al, expected))) throw this.stale(alarmId, expected);
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
