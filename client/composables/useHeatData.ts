import { onScopeDispose, shallowRef, watch, type WatchSource } from 'vue';

/**
 * One heat read kept fresh: fetched when `key` changes (and every `refreshMs` when > 0), the
 * request in flight aborted when a newer one starts or the component goes. A failed read keeps
 * the last data (a wall never blanks on a hiccup), sets `error` and is retried after 5 s, 10 s, …
 * up to every 2 minutes until one succeeds — without that, a wall whose first read met a
 * restarting server said "failed" until its key changed, an hour later.
 */
const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 120_000;

export function useHeatData<T>(key: WatchSource<string | null>, load: (signal: AbortSignal) => Promise<T>, refreshMs = 0) {
  const data = shallowRef<T | null>(null);
  const error = shallowRef<string | null>(null);
  let inFlight: AbortController | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  async function refresh(): Promise<void> {
    clearTimeout(retry);
    retry = undefined;
    inFlight?.abort();
    const ctl = new AbortController();
    inFlight = ctl;
    try {
      const d = await load(ctl.signal);
      if (ctl.signal.aborted) return;
      data.value = d;
      error.value = null;
      failures = 0;
    } catch (err) {
      if (ctl.signal.aborted) return;
      error.value = err instanceof Error ? err.message : String(err);
      retry = setTimeout(() => void refresh(), Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures));
      failures++;
    } finally {
      if (inFlight === ctl) inFlight = null;
    }
  }

  const stop = watch(key, (k) => {
    clearInterval(timer);
    timer = undefined;
    clearTimeout(retry);
    retry = undefined;
    failures = 0;
    if (k === null) { inFlight?.abort(); return; }
    void refresh();
    if (refreshMs > 0) timer = setInterval(() => void refresh(), refreshMs);
  }, { immediate: true });

  // The component's scope ends when it unmounts (and a test's effectScope when it stops).
  onScopeDispose(() => {
    stop();
    clearInterval(timer);
    clearTimeout(retry);
    inFlight?.abort();
  });
  return { data, error, refresh };
}
