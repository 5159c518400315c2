import { onBeforeUnmount, watch, type Ref } from 'vue';
import type { GLMap, MapEngineName } from '../map/engine.ts';
import type { LiveRenderer } from '../map/live-renderer.ts';

/**
 * Installs `window.__cityops` for the browser tests — only in a build made with
 * CITYOPS_TEST_HOOKS=1. Elsewhere the constant is false, the branch and the dynamic import
 * fall away, and the hooks' module is not in the bundle at all.
 */
export function useTestHooks(map: Ref<GLMap | null>, engine: Ref<MapEngineName>, renderer: Ref<LiveRenderer | null>): void {
  if (!__CITYOPS_TEST_HOOKS__) return;
  let uninstall: (() => void) | null = null;
  let gone = false;
  const stop = watch([map, renderer], async ([m, r]) => {
    if (!m || !r || uninstall) return;
    const { installTestHooks } = await import('../map/test-hooks.ts');
    if (!gone) uninstall = installTestHooks(m, engine.value, r);
  }, { immediate: true });
  onBeforeUnmount(() => {
    gone = true;
    stop();
    uninstall?.();
  });
}
