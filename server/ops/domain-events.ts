/**
 * Domain events between the server's operations modules: alarms, cases, SLA clocks and
 * dispatch talk through this bus rather than calling each other, and the ops stream
 * (server/ops/ops-state.ts) listens to it to know what to send to screens.
 *
 * Events carry ids and facts, not whole rows: a listener reads the current row from its
 * repository when it needs it, so the order in which listeners run never matters for
 * what a screen ends up with. A listener that throws or rejects is logged by the bus and
 * never reaches the emitter (see `on`). A listener may be asynchronous (its module writes
 * to the store): `emit` does not wait for it; `emitSettled` waits for every listener, in the
 * order they subscribed — the cases module answers a step only once the SLA clocks and
 * dispatch have followed it, as they did when the store was synchronous.
 */
import { EventEmitter } from 'node:events';
import type { AlarmType } from '../../shared/alarms.ts';
import type { CaseAction, CaseStage } from '../../shared/cases.ts';

export interface CaseTransition {
  caseId: number;
  action: CaseAction;
  from: CaseStage | null;
  to: CaseStage | null;
  actor: string;
  at: number;
  /** Action facts: unitId on dispatch/arrive, days on an approved extension, … */
  data?: Record<string, unknown>;
}

export interface DomainEventMap {
  /** Any change to a case row, its timeline, photos or clocks. */
  'case:changed': [caseId: number];
  /** A workflow step happened (after the row was committed). SLA clocks start, stop and pause on these. */
  'case:transition': [CaseTransition];
  'alarm:changed': [alarmId: number];
  /** A new alarm was raised (after 'alarm:changed'). The auto-case policy listens here. */
  'alarm:raised': [alarmId: number, type: AlarmType];
  /** A unit's status, task or warning changed. */
  'unit:changed': [entityId: string];
  /** A dispatched unit reached its case (detected from live positions). */
  'unit:arrived': [entityId: string, caseId: number, at: number];
}

export class DomainEvents {
  private readonly emitter = new EventEmitter();
  onError: (err: unknown, event: string) => void = () => {};

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  emit<K extends keyof DomainEventMap>(event: K, ...args: DomainEventMap[K]): void {
    this.emitter.emit(event, ...args);
  }

  /** Calls every listener and waits for each in turn; never rejects (failures go to onError). */
  async emitSettled<K extends keyof DomainEventMap>(event: K, ...args: DomainEventMap[K]): Promise<void> {
    for (const listener of this.emitter.listeners(event)) await (listener as (...a: unknown[]) => Promise<void> | undefined)(...args);
  }

  /** Subscribes a listener whose errors are reported to onError instead of thrown into the emitter. Returns the unsubscribe function. */
  // `unknown`: a listener's value is ignored, except a promise, which is waited for (emitSettled) and whose rejection is reported.
  on<K extends keyof DomainEventMap>(event: K, listener: (...args: DomainEventMap[K]) => unknown): () => void {
    const report = (err: unknown) => {
      try { this.onError(err, event); } catch { /* never into the emitter */ }
    };
    const wrapped = (...args: DomainEventMap[K]): Promise<void> | undefined => {
      try {
        const done = listener(...args);
        return done instanceof Promise ? done.then(() => undefined, report) : undefined;
      } catch (err) {
        report(err);
        return undefined;
      }
    };
    this.emitter.on(event, wrapped as (...a: unknown[]) => void);
    return () => this.emitter.off(event, wrapped as (...a: unknown[]) => void);
  }
}
