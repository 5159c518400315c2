import { defineStore } from 'pinia';
import { ref } from 'vue';

export type { Role } from '../../shared/roles.ts';
import type { Role } from '../../shared/roles.ts';
const STORAGE_KEY = 'cityops.session';

/** unitId: a field crew's unit (role field). */
interface StoredSession { token: string; username: string; role: Role; unitId?: string }

function load(): StoredSession | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

/** Who this screen is: a display token from the wall URL, or a person's login session. */
export const useSessionStore = defineStore('session', () => {
  const stored = load();
  const token = ref<string | null>(stored?.token ?? null);
  const username = ref<string | null>(stored?.username ?? null);
  const role = ref<Role | null>(stored?.role ?? null);
  const unitId = ref<string | null>(stored?.unitId ?? null);
  /** Why the user was sent to /login (an i18n key), shown there once. */
  const logoutReason = ref<'login.expired' | 'login.revoked' | null>(null);

  function useDisplayToken(displayToken: string): void {
    token.value = displayToken;
    username.value = null;
    role.value = 'wall';
    unitId.value = null;
  }

  function signedIn(session: StoredSession): void {
    token.value = session.token;
    username.value = session.username;
    role.value = session.role;
    unitId.value = session.unitId ?? null;
    logoutReason.value = null;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    } catch {
      // kept in memory only
    }
  }

  function signOut(reason: 'login.expired' | 'login.revoked' | null = null): void {
    token.value = null;
    username.value = null;
    role.value = null;
    unitId.value = null;
    logoutReason.value = reason;
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
  }

  return { token, username, role, unitId, logoutReason, useDisplayToken, signedIn, signOut };
});
