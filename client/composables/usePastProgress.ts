import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import type { HealthResponse } from '../../shared/schemas/http.ts';
import { apiFetch } from '../http/api.ts';

export type PastProgress = NonNullable<HealthResponse['past']>;

/** Asked this often while the simulated past is still being written (it takes minutes on a first start). */
const POLL_MS = 10_000;

/**
 * The simulated past's progress (SIM_HISTORY_DAYS, written in the background on a first
 * start) from GET /api/health, so the screens that read history can say that it is still
 * filling in. Polls until the past is done, failed or absent; a failed read tries again later.
 */
export function usePastProgress() {
  const past = shallowRef<PastProgress | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const poll = async () => {
    let again = true;
    try {
      const h = await apiFetch<HealthResponse>('/api/health', null);
      if (stopped) return;
      past.value = h.past ?? null;
      again = h.past !== null && h.past !== undefined && (h.past.phase === 'cases' || h.past.phase === 'positions');
    } catch {
      // The server may be restarting: ask again at the next tick.
    }
    if (again && !stopped) timer = setTimeout(() => void poll(), POLL_MS);
  };
  onMounted(() => void poll());
  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(timer);
  });
  return past;
}
