import { onBeforeUnmount, onMounted } from 'vue';
import { connectLive, type LiveClient, type LiveClientOptions } from '../realtime/live-client.ts';
import type { EntityBuffer } from '../realtime/entity-buffer.ts';
import { useLiveStore } from '../stores/live.ts';
import { useOpsStore } from '../stores/ops.ts';

/**
 * `?street=<9-digit code>` on a screen's URL makes it a street screen: its map takes only that
 * street's entities. Anything else takes the whole district (the wall), with a warning.
 */
export function streetScreenOptions(street: string | null): LiveClientOptions {
  if (street === null) return {};
  if (!/^\d{9}$/.test(street)) {
    console.warn(`[live] street=${street} is not a 9-digit street code; showing the whole district`);
    return {};
  }
  return { subscription: { streets: [street] } };
}

/**
 * Owns the socket for the lifetime of the calling component; feeds the buffer, the live store and the ops store.
 * `options.subscription`: what the screen takes (a street screen its street); the wall takes all.
 */
export function useLiveFeed(token: () => string | null, buffer: EntityBuffer, onUnauthorized: (reason: 'expired' | 'revoked') => void, options: LiveClientOptions = {}) {
  const live = useLiveStore();
  const ops = useOpsStore();
  let client: LiveClient | null = null;
  let uninstallHooks: (() => void) | null = null;
  let gone = false;
  onMounted(() => {
    if (__CITYOPS_TEST_HOOKS__) {
      void import('../realtime/live-test-hooks.ts').then(({ installLiveTestHooks }) => {
        if (!gone) uninstallHooks = installLiveTestHooks(() => client, buffer);
      });
    }
    const t = token();
    if (!t) return;
    live.connection = 'connecting';
    client = connectLive(t, buffer, {
      onState: (state) => (live.connection = state),
      onKpis: (kpis) => (live.kpis = kpis),
      onOpsSnapshot: (snapshot) => ops.applySnapshot(snapshot),
      onOpsDelta: (delta) => ops.applyDelta(delta),
      onCatalogChanged: () => {
        // Catalog indices now name other entities: a held selection would show the wrong one.
        live.selectedIndex = null;
        live.hoveredIndex = null;
      },
      onUnauthorized: (reason) => {
        client?.close();
        client = null;
        onUnauthorized(reason);
      },
    }, options);
  });
  onBeforeUnmount(() => {
    gone = true;
    uninstallHooks?.();
    client?.close();
    client = null;
  });
}
