import { onBeforeUnmount, shallowRef, watch, type WatchSource } from 'vue';

/**
 * One heat read kept fresh: fetched when `key` changes (and every `refreshMs` when > 0), the
 * request in flight aborted when a newer one starts or the component goes. A failed read keeps
 * the last data (a wall never blanks on a hiccup) and sets `error`; the next round retries.
 */
export function useHeatData<T>(key: WatchSource<string | null>, load: (signal: AbortSignal) => Promise<T>, refreshMs = 0) {
  const data = shallowRef<T | null>(null);
  const error = shallowRef<string | null>(null);
  let inFlight: AbortController | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function refresh(): Promise<void> {
    inFlight?.abort();
    const ctl = new AbortController();
    inFlight = ctl;
    try {
      const d = await load(ctl.signal);
      if (ctl.signal.aborted) return;
      data.value = d;
      error.value = null;
    } catch (err) {
      if (ctl.signal.aborted) return;
      error.value = err instanceof Error ? err.message : String(err);
    } finally {
      if (inFlight === ctl) inFlight = null;
    }
  }

  const stop = watch(key, (k) => {
    clearInterval(timer);
    timer = undefined;
    if (k === null) { inFlight?.abort(); return; }
    void refresh();
    if (refreshMs > 0) timer = setInterval(() => void refresh(), refreshMs);
  }, { immediate: true });

  onBeforeUnmount(() => {
    stop();
    clearInterval(timer);
    inFlight?.abort();
  });
  return { data, error, refresh };
}
