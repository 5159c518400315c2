/**
 * Domain events between the server's operations modules: alarms, cases, SLA clocks and
 * dispatch talk through this bus rather than calling each other, and the ops stream
 * (server/ops/ops-state.ts) listens to it to know what to send to screens.
 *
 * Events carry ids and facts, not whole rows: a listener reads the current row from its
 * repository when it needs it, so the order in which listeners run never matters for
 * what a screen ends up with. Emitting is synchronous; a listener that throws is logged
 * by the bus and never reaches the emitter (see `safeOn`).
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

  /** Subscribes a listener whose errors are reported to onError instead of thrown into the emitter. Returns the unsubscribe function. */
  on<K extends keyof DomainEventMap>(event: K, listener: (...args: DomainEventMap[K]) => void): () => void {
    const wrapped = (...args: DomainEventMap[K]) => {
      try {
        listener(...args);
      } catch (err) {
        try { this.onError(err, event); } catch { /* never into the emitter */ }
      }
    };
    this.emitter.on(event, wrapped as (...a: unknown[]) => void);
    return () => this.emitter.off(event, wrapped as (...a: unknown[]) => void);
  }
}
