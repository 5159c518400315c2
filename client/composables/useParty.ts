import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import type { PartyResponse } from '../../shared/schemas/party.ts';
import { apiFetch } from '../http/api.ts';

/** Who is on duty changes with the shifts: the panel re-reads this often. */
const REFRESH_MS = 60_000;

/**
 * GET /api/party for the party panel (wall or briefing), re-read every minute; a failed read
 * keeps the last figures (a wall never blanks) and tries again at the next tick.
 */
export function useParty(token: () => string | null) {
  const party = shallowRef<PartyResponse | null>(null);
  let timer: ReturnType<typeof setInterval> | undefined;
  let stopped = false;
  const load = async () => {
    try {
      const p = await apiFetch<PartyResponse>('/api/party', token());
      if (!stopped) party.value = p;
    } catch {
      // kept: the next tick tries again
    }
  };
  onMounted(() => {
    void load();
    timer = setInterval(() => void load(), REFRESH_MS);
  });
  onBeforeUnmount(() => {
    stopped = true;
    clearInterval(timer);
  });
  return { party, reload: load };
}
