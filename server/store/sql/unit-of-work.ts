/**
 * One transaction shared by several modules, and what they announce once it commits. Dispatch
 * writes the unit's engagement and the case's dispatch in one transaction; the SLA clocks write
 * a clock row and the case's timeline entry in one. Each module takes the `UnitOfWork` it is
 * given (or opens its own), writes through `tx`, and queues its domain events with `afterCommit`:
 * a listener must never see a change that may still roll back, nor run inside the transaction
 * (on SQLite the connection is held until COMMIT).
 */
import type { SqlStore, SqlTx } from './types.ts';

export interface UnitOfWork {
  readonly tx: SqlTx;
  /** Runs after COMMIT, in the order queued and awaited one by one; never after a rollback. */
  afterCommit(fn: () => void | Promise<void>): void;
}

/** Runs `work` in one transaction of `store`; then, committed, what it queued. */
export async function inUnitOfWork<T>(store: SqlStore, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  const after: (() => void | Promise<void>)[] = [];
  const result = await store.transaction((tx) => work({ tx, afterCommit: (fn) => { after.push(fn); } }));
  for (const fn of after) await fn();
  return result;
}

/** Joins the caller's unit of work when there is one, else opens one. */
export function withUnitOfWork<T>(store: SqlStore, outer: UnitOfWork | undefined, work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  return outer ? work(outer) : inUnitOfWork(store, work);
}
