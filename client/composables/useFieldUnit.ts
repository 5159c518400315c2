import { onBeforeUnmount, ref, shallowRef } from 'vue';
import type { CaseDetail } from '../../shared/cases.ts';
import type { UnitDetail, UnitTasksResponse } from '../../shared/schemas/dispatch.ts';
import { ApiError, apiFetch } from '../http/api.ts';

/**
 * The crew's unit, its task's case (clocks, timeline) and its finished tasks of the day, polled.
 * Polling rather than the ops socket: the socket streams the whole district's cases and units
 * and is for the desk and the wall (field users are not admitted to it), while a phone on a
 * mobile network needs one small answer every few seconds that survives a dropped connection
 * without any reconnect logic.
 */
export const FIELD_POLL_MS = 5000;
/** Finished tasks change only when the crew finishes one: refreshed less often, and after each send. */
const TODAY_EVERY_POLLS = 6;

export function useFieldUnit(unitId: string, token: () => string | null, onUnauthorized: () => void) {
  const unit = shallowRef<UnitDetail | null>(null);
  const detail = shallowRef<CaseDetail | null>(null);
  const today = shallowRef<UnitTasksResponse | null>(null);
  const loadError = ref(false);
  const loaded = ref(false);
  let timer: ReturnType<typeof setTimeout> | null = null;
  let polls = 0;
  let stopped = false;

  async function refresh(withToday = false): Promise<void> {
    try {
      const u = await apiFetch<UnitDetail>(`/api/units/${encodeURIComponent(unitId)}`, token());
      unit.value = u;
      const caseId = u.task?.caseId;
      detail.value = caseId === undefined ? null : await apiFetch<CaseDetail>(`/api/cases/${caseId}`, token());
      if (withToday || today.value === null) today.value = await apiFetch<UnitTasksResponse>(`/api/units/${encodeURIComponent(unitId)}/tasks`, token());
      loadError.value = false;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        onUnauthorized();
        return;
      }
      // Keep showing the last answer; the banner says it may be old.
      loadError.value = true;
    } finally {
      loaded.value = true;
    }
  }

  async function loop(): Promise<void> {
    if (stopped) return;
    await refresh(polls++ % TODAY_EVERY_POLLS === 0);
    if (!stopped) timer = setTimeout(() => void loop(), FIELD_POLL_MS);
  }
  void loop();

  onBeforeUnmount(() => {
    stopped = true;
    if (timer) clearTimeout(timer);
  });

  return { unit, detail, today, loadError, loaded, refresh };
}
