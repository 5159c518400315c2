import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import type { ToDisplay } from '../../shared/basemap.ts';
import { ENTITY_KINDS } from '../../shared/entities.ts';
import type { GLMap } from '../map/engine.ts';
import { addEntityIcons } from '../map/icons.ts';
import { LiveRenderer } from '../map/live-renderer.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';
import { useLiveStore } from '../stores/live.ts';

/** A GPU reset or driver update can lose the GL context; if the browser does not give it back, reload. */
const CONTEXT_RESTORE_WAIT_MS = 60_000;

/**
 * The five kinds' live layers on a loaded map: the renderer fed from the entity buffer, kinds
 * shown as the legend says, the selection ring, and the pause while a lost GL context is away.
 */
export function useLiveLayers(map: Ref<GLMap | null>, loaded: Ref<boolean>, buffer: EntityBuffer, scale: Readonly<Ref<number>>, toDisplay: Readonly<Ref<ToDisplay>>) {
  const live = useLiveStore();
  const renderer = shallowRef<LiveRenderer | null>(null);
  /** True once the live layers run: until then the screen says the map is loading. */
  const ready = shallowRef(false);
  let contextTimer: ReturnType<typeof setTimeout> | undefined;

  const stopInit = watch([map, loaded], ([m, l]) => {
    if (!m || !l || renderer.value) return;
    const s = scale.value;
    addEntityIcons(m, Math.ceil(2 * Math.max(1, s)));
    const r = new LiveRenderer(m, buffer, s, (counts) => (live.renderedCounts = counts), toDisplay.value);
    for (const k of ENTITY_KINDS) r.setVisible(k, live.layerVisible[k]);
    r.start();
    renderer.value = r;
    ready.value = true;
    watchGlContext(m, r);
  }, { immediate: true });

  /** Weeks on a wall PC: the GL context may be lost; maplibre redraws when it is restored, and we reload when it is not. */
  function watchGlContext(m: GLMap, r: LiveRenderer): void {
    m.on('webglcontextlost', () => {
      console.warn('[map] WebGL context lost; waiting for the browser to restore it');
      // The style cannot be changed without a context: live layers wait until the map has redrawn.
      r.stop();
      clearTimeout(contextTimer);
      contextTimer = setTimeout(() => location.reload(), CONTEXT_RESTORE_WAIT_MS);
    });
    m.on('webglcontextrestored', () => {
      clearTimeout(contextTimer);
      contextTimer = undefined;
      m.once('idle', () => {
        if (renderer.value === r) r.start();
      });
    });
  }

  const stopVisible = watch(() => ({ ...live.layerVisible }), (vis) => {
    for (const k of ENTITY_KINDS) renderer.value?.setVisible(k, vis[k]);
  });
  const stopSelect = watch(() => live.selectedIndex ?? live.hoveredIndex, (i) => renderer.value?.select(i ?? null));

  onBeforeUnmount(() => {
    stopInit();
    stopVisible();
    stopSelect();
    clearTimeout(contextTimer);
    renderer.value?.stop();
    renderer.value = null;
    ready.value = false;
  });
  return { renderer, ready };
}
