import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import type { PastProgressResponse } from '../../shared/schemas/http.ts';
import { apiFetch } from '../http/api.ts';

export type PastProgress = NonNullable<PastProgressResponse['past']>;

/** Asked this often while the simulated past is still being written (it takes minutes on a first start). */
const POLL_MS = 10_000;

/**
 * The simulated past's progress (SIM_HISTORY_DAYS, written in the background on a first
 * start) from GET /api/past (signed-in readers of history; the public /api/health says only
 * that the server lives), so the screens that read history can say that it is still filling in.
 * Polls until the past is done, failed or absent; a failed read tries again later.
 */
export function usePastProgress(token: () => string | null) {
  const past = shallowRef<PastProgress | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const poll = async () => {
    let again = true;
    try {
      const h = await apiFetch<PastProgressResponse>('/api/past', token());
      if (stopped) return;
      past.value = h.past;
      again = h.past !== null && (h.past.phase === 'cases' || h.past.phase === 'positions');
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
