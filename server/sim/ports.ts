/**
 * What the simulator reaches in the operations modules: the same ports the HTTP routes call
 * for a road chief's app, a citizen's app and the crews' phone page. Getters, because those
 * modules may register after the simulator or not at all — then the behaviours that need
 * them (reports, crews) are simply off.
 */
import type { CasesPort, DispatchPort } from '../ops/ports.ts';

export interface SimPorts {
  cases: () => CasesPort | undefined;
  dispatch: () => DispatchPort | undefined;
}

export const NO_PORTS: SimPorts = { cases: () => undefined, dispatch: () => undefined };

/** The subset of pino the simulator logs through (Fastify's `app.log` fits). */
export interface SimLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export const SILENT_LOG: SimLogger = { debug: () => {}, warn: () => {} };

/** A refusal because someone else acted first or the step no longer fits the case (HttpError 409). */
export function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: unknown }).statusCode === 409;
}

/** Logs the 1st, 10th, 100th… occurrence of a repeating failure: visible, without a line per simulator step. */
export function logOccasionally(log: SimLogger, count: number, obj: object, msg: string): void {
  if (count > 0 && Math.log10(count) % 1 === 0) log.warn({ ...obj, occurrences: count }, msg);
}
