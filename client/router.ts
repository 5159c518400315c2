import { createRouter, createWebHistory } from 'vue-router';
import { useSessionStore, type Role } from './stores/session.ts';

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    // A leader's home is the briefing; everyone else's the wall.
    { path: '/', redirect: () => (useSessionStore().role === 'leader' ? '/briefing' : '/wall') },
    { path: '/wall', name: 'wall', component: () => import('./screens/WallScreen.vue'), meta: { auth: true } },
    { path: '/console', name: 'console', component: () => import('./screens/ConsoleScreen.vue'), meta: { auth: true } },
    { path: '/briefing', name: 'briefing', component: () => import('./screens/BriefingScreen.vue'), meta: { auth: true, roles: ['leader', 'admin'] } },
    // 随手拍: public, no login; its own chunks (no wall, no charts, no live stream).
    { path: '/report', name: 'report', component: () => import('./screens/ReportScreen.vue') },
    { path: '/report/:id', name: 'report-status', component: () => import('./screens/ReportStatusScreen.vue') },
    { path: '/field', name: 'field', component: () => import('./screens/FieldScreen.vue'), meta: { auth: true } },
    // History played on the map (dispatchers, leaders, admins; the screen checks the role with the server).
    { path: '/replay', name: 'replay', component: () => import('./screens/ReplayScreen.vue'), meta: { auth: true, roles: ['dispatcher', 'leader', 'admin'] } },
    // The device registry: quarantined terminals, bindings, takeovers (admins only; the server checks too).
    { path: '/admin/devices', name: 'devices', component: () => import('./screens/DevicesScreen.vue'), meta: { auth: true, roles: ['admin'] } },
    { path: '/login', name: 'login', component: () => import('./screens/LoginScreen.vue') },
    { path: '/:pathMatch(.*)*', redirect: '/wall' },
  ],
});

router.beforeEach((to) => {
  const session = useSessionStore();
  // A display token in the URL (walls) wins over a stored login; it is then kept in memory only.
  const urlToken = typeof to.query.token === 'string' ? to.query.token : undefined;
  if (urlToken) session.useDisplayToken(urlToken);
  if (to.meta.auth && !session.token) return { name: 'login', query: { redirect: to.path } };
  // A crew's phone has one page: the desk's and the wall's screens are not for it.
  if (session.role === 'field' && (to.name === 'console' || to.name === 'wall' || to.name === 'briefing' || to.name === 'replay')) return { name: 'field' };
  // A screen for some roles only (the briefing: leaders and admins) sends the others to the wall.
  const roles = to.meta.roles as readonly Role[] | undefined;
  if (roles && session.role && !roles.includes(session.role)) return { name: 'wall' };
  return true;
});
