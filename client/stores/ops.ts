import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef, triggerRef } from 'vue';
import type { Alarm } from '../../shared/alarms.ts';
import type { CaseSummary } from '../../shared/cases.ts';
import type { UnitState } from '../../shared/dispatch.ts';
import type { OpsDelta, OpsSnapshot, OpsStats } from '../../shared/ops.ts';
import { OpsState, type DeltaOutcome, type OpsArrival } from '../realtime/ops-state.ts';

/**
 * Cases, alarms and engaged units from the live stream. The maps are shallow refs over the
 * plain OpsState: one trigger per frame received (about once a second), never per item.
 */
export const useOpsStore = defineStore('ops', () => {
  const state = markRaw(new OpsState());
  const cases = shallowRef<ReadonlyMap<number, CaseSummary>>(state.cases);
  const alarms = shallowRef<ReadonlyMap<number, Alarm>>(state.alarms);
  const units = shallowRef<ReadonlyMap<string, UnitState>>(state.units);
  const stats = shallowRef<OpsStats | null>(null);
  const version = shallowRef<number | null>(null);
  /** Bumps on every change: watchers watch this (the maps stay the same objects, so a getter on them would not fire). */
  const revision = ref(0);
  /** Listeners for new critical alarms and emergencies (the wall's fly-to); not reactive. */
  const arrivalListeners = markRaw(new Set<(a: OpsArrival) => void>());

  function publish(): void {
    triggerRef(cases);
    triggerRef(alarms);
    triggerRef(units);
    stats.value = state.stats;
    version.value = state.version;
    revision.value++;
  }

  function applySnapshot(s: OpsSnapshot): void {
    state.applySnapshot(s);
    publish();
  }

  /** Applies a delta; the outcome tells the live client whether to ask for a snapshot. */
  function applyDelta(d: OpsDelta): DeltaOutcome {
    const { outcome, arrivals } = state.applyDelta(d);
    if (outcome === 'applied' || outcome === 'gap') publish();
    for (const a of arrivals) {
      for (const fn of arrivalListeners) {
        try {
          fn(a);
        } catch (err) {
          console.error('[ops] arrival listener', err);
        }
      }
    }
    return outcome;
  }

  /** Returns the unsubscribe function; the subscriber's component calls it on unmount. */
  function onArrival(fn: (a: OpsArrival) => void): () => void {
    arrivalListeners.add(fn);
    return () => arrivalListeners.delete(fn);
  }

  /** A case the console just changed over HTTP: show it at once, the stream confirms it later. */
  function upsertCase(c: CaseSummary): void {
    const held = state.cases.get(c.id);
    if (held && held.version > c.version) return;
    state.cases.set(c.id, c);
    triggerRef(cases);
    revision.value++;
  }

  function upsertAlarm(a: Alarm): void {
    const held = state.alarms.get(a.id);
    if (held && held.version > a.version) return;
    state.alarms.set(a.id, a);
    triggerRef(alarms);
    revision.value++;
  }

  return { cases, alarms, units, stats, version, revision, applySnapshot, applyDelta, onArrival, upsertCase, upsertAlarm };
});
