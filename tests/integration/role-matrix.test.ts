/**
 * Issue 9 part 6: every HTTP route and every socket event, called as each role and as nobody,
 * answers as the policy table below declares. The routes come from Fastify's route table (as
 * registered), so a route added without an entry here fails the first test: access is decided
 * on purpose, never by default.
 *
 * The requests carry an invalid body and ids that do not exist, so that a permitted call changes
 * nothing and a refused one shows that the role is checked before the body is validated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../shared/roles.ts';
import { hashPassword, newToken } from '../../server/auth/passwords.ts';
import { liveClient, lixiaPack, once, startServer, type LiveClient, type RunningServer } from './server-harness.ts';

type Who = Role | 'nobody';
const EVERYONE: readonly Who[] = ['nobody', ...ROLES];

/**
 * roles: only sessions or display tokens of these roles (an empty list: any signed-in principal).
 * public: anyone, and a session changes nothing.
 * ownKey: the route checks a key of its own (ingest key, Open311 key, a signed photo link), so a
 *   session or display token changes nothing: every caller gets what nobody gets.
 * metrics: an admin session (or METRICS_TOKEN, tested in ops-metrics).
 */
type Access = { roles: readonly Role[] } | 'public' | 'ownKey' | 'metrics';

const ADMIN: Access = { roles: ['admin'] };
const PEOPLE: Access = { roles: ['dispatcher', 'leader', 'admin'] };
const SIGNED_IN: Access = { roles: [] };

const POLICY: Record<string, Access> = {
  'GET /docs': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /metrics': 'metrics',
  'GET /api/health': 'public',
  'GET /api/ready': 'public',
  'GET /api/admin/status': ADMIN,
  'GET /api/past': PEOPLE,
  'GET /api/config': 'public',
  'GET /api/basemap': 'public',
  'GET /api/report-page': 'public',
  'GET /api/district': SIGNED_IN,
  'GET /api/entities': SIGNED_IN,
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': SIGNED_IN,
  'GET /api/auth/me': SIGNED_IN,
  'GET /api/history/track': PEOPLE,
  'GET /api/taxonomy': SIGNED_IN,
  'GET /api/organisations': SIGNED_IN,
  'GET /api/cases': { roles: ['dispatcher', 'leader', 'admin', 'wall'] },
  'GET /api/cases/:id': SIGNED_IN,
  'POST /api/cases': PEOPLE,
  'POST /api/cases/:id/transitions': PEOPLE,
  'POST /api/cases/:id/requests': PEOPLE,
  'POST /api/cases/:id/requests/:rid/decision': { roles: ['leader', 'admin'] },
  'POST /api/cases/:id/resume': PEOPLE,
  'POST /api/cases/:id/photos': { roles: ['dispatcher', 'leader', 'admin', 'field'] },
  'GET /api/cases/:id/photos/:photoId': SIGNED_IN,
  'GET /media/photos/:caseId/:photoId': 'ownKey',
  'GET /api/cases/:id/reporter': { roles: ['dispatcher', 'admin'] },
  'GET /api/sla-settings': PEOPLE,
  'PUT /api/sla-settings': ADMIN,
  'GET /api/alarms': PEOPLE,
  'GET /api/alarms/:id': PEOPLE,
  'POST /api/alarms/:id/ack': { roles: ['dispatcher', 'admin'] },
  'POST /api/alarms/:id/clear': { roles: ['dispatcher', 'admin'] },
  'GET /api/alarm-settings': PEOPLE,
  'PUT /api/alarm-settings': ADMIN,
  'GET /api/cases/:id/recommendations': { roles: ['dispatcher', 'admin'] },
  'POST /api/cases/:id/dispatch': { roles: ['dispatcher', 'admin'] },
  'POST /api/cases/:id/reassign': { roles: ['dispatcher', 'admin'] },
  'POST /api/cases/:id/release': { roles: ['dispatcher', 'admin'] },
  'GET /api/units': { roles: ['dispatcher', 'admin', 'leader', 'wall'] },
  'GET /api/units/:id': { roles: ['dispatcher', 'admin', 'leader', 'wall', 'field'] },
  'POST /api/units/:id/accept': { roles: ['field', 'dispatcher', 'admin'] },
  'POST /api/units/:id/en-route': { roles: ['field', 'dispatcher', 'admin'] },
  'POST /api/units/:id/done': { roles: ['field', 'dispatcher', 'admin'] },
  'POST /api/units/:id/send-back': { roles: ['field'] },
  'GET /api/units/:id/tasks': { roles: ['dispatcher', 'admin', 'leader', 'field'] },
  'GET /api/coverage': { roles: ['dispatcher', 'admin', 'leader', 'wall'] },
  'GET /api/replay': PEOPLE,
  'GET /api/replay/case/:id': PEOPLE,
  'GET /api/heat': { roles: ['wall', 'dispatcher', 'leader', 'admin'] },
  'GET /api/heat/street-hour': { roles: ['wall', 'dispatcher', 'leader', 'admin'] },
  'GET /api/heat/calendar': { roles: ['wall', 'dispatcher', 'leader', 'admin'] },
  'GET /api/briefing': PEOPLE,
  'GET /api/party': { roles: ['wall', 'dispatcher', 'leader', 'admin'] },
  'GET /open311/v2/:file': 'public',
  'GET /open311/v2/services/:file': 'public',
  'GET /open311/v2/requests/:file': 'public',
  'GET /open311/v2/tokens/:file': 'public',
  'POST /open311/v2/:file': 'ownKey',
  'POST /open311/v2/requests/:id/:file': 'ownKey',
  'GET /api/open311-keys': ADMIN,
  'POST /api/open311-keys': ADMIN,
  'DELETE /api/open311-keys/:id': ADMIN,
  'POST /api/v1/ingest/positions': 'ownKey',
  'POST /api/v1/ingest/readings': 'ownKey',
  'GET /api/ingest-keys': ADMIN,
  'POST /api/ingest-keys': ADMIN,
  'DELETE /api/ingest-keys/:id': ADMIN,
  'GET /api/ingest/gateways': ADMIN,
  'GET /api/ingest/stats': ADMIN,
  'GET /api/display-tokens': ADMIN,
  'POST /api/display-tokens': ADMIN,
  'DELETE /api/display-tokens/:id': ADMIN,
  'GET /api/devices': ADMIN,
  'GET /api/devices/:id': ADMIN,
  'POST /api/devices': ADMIN,
  'POST /api/devices/:id/accept': ADMIN,
  'POST /api/devices/:id/bind': ADMIN,
  'POST /api/devices/:id/reject': ADMIN,
  'POST /api/devices/:id/disable': ADMIN,
  'POST /api/devices/:id/enable': ADMIN,
  'DELETE /api/devices/:id': ADMIN,
  'POST /api/devices/:id/text': ADMIN,
  'GET /api/devices/:id/messages': ADMIN,
  'POST /api/devices/:id/position-query': ADMIN,
  'GET /api/jt808/stats': ADMIN,
  'GET /api/audit': ADMIN,
  'POST /api/auth/password': SIGNED_IN,
  'GET /api/cluster': ADMIN,
};

/** Which principals may open the live socket, and which may send each client event once connected. */
const SOCKET_CONNECT: readonly Role[] = ['wall', 'dispatcher', 'leader', 'admin'];
const SOCKET_EVENTS: Record<string, readonly Role[]> = {
  'live:resync': ['wall', 'dispatcher', 'leader', 'admin'],
  'ops:resync': ['wall', 'dispatcher', 'leader', 'admin'],
  'live:subscribe': ['wall', 'dispatcher', 'leader', 'admin'],
};
/** What each event is sent with besides its acknowledgement (subscriptions need a live format-2 socket). */
const SOCKET_EVENT_ARGS: Record<string, { format: 1 | 2; args: unknown[] }> = {
  'live:subscribe': { format: 2, args: [{ kinds: ['vehicle'] }] },
};
/** Socket.IO's own events, not the application's. */
const RESERVED_EVENTS = new Set(['disconnect', 'disconnecting', 'error']);

const ADMIN_PASSWORD = 'role-matrix-admin-password';
const PASSWORD = 'role-matrix-person-password';

let s: RunningServer;
const tokens = new Map<Who, string | undefined>();

beforeAll(async () => {
  s = await startServer({ ADMIN_PASSWORD });
  const pack = await lixiaPack();
  const hash = await hashPassword(PASSWORD);
  await s.app.store.access.createUser('matrix.dispatcher', hash, 'dispatcher');
  await s.app.store.access.createUser('matrix.leader', hash, 'leader');
  await s.app.store.access.createUser('matrix.field', hash, 'field', Date.now(), pack.staff[0]!.id);
  tokens.set('nobody', undefined);
  tokens.set('wall', s.firstStart!.wallToken);
  tokens.set('admin', await session('admin'));
  for (const role of ['dispatcher', 'leader', 'field'] as const) tokens.set(role, await session(`matrix.${role}`));
}, 60_000);

/**
 * A session made in the store, as a login makes it: the login route allows ten calls a minute per
 * address, and the matrix calls it six times itself.
 */
async function session(username: string): Promise<string> {
  const user = await s.app.store.access.findUser(username);
  if (!user) throw new Error(`no user ${username}`);
  const token = newToken();
  await s.app.store.access.createSession(token, user.id, 3_600_000);
  return token;
}
afterAll(async () => s?.close());

/** A URL for a route pattern: ids that exist nowhere, a file name for the Open311 documents. */
function concrete(url: string): string {
  return url.replace(/:file\b/g, 'policy-matrix.json').replace(/:[A-Za-z]+/g, '999999').replace(/\*$/, 'index.html');
}

interface Answer { status: number; code: string | undefined; message: string | undefined }

async function ask(method: string, url: string, token: string | undefined): Promise<Answer> {
  const withBody = method !== 'GET';
  const res = await fetch(`${s.url}${concrete(url)}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}) },
    // Valid JSON that no body schema accepts: a permitted call stops at validation or at the missing id.
    ...(withBody ? { body: JSON.stringify({ policyMatrix: true }) } : {}),
  });
  const text = await res.text();
  let body: { error?: { code?: string; message?: string } } = {};
  try { body = JSON.parse(text) as typeof body; } catch { /* not JSON: documents, XML, images */ }
  return { status: res.status, code: body.error?.code, message: body.error?.message };
}

/** What requireRole answers a role it does not accept (server/plugins/auth.ts). */
const roleRefusal = (role: Role) => `role ${role} may not do this`;

function expectAllowed(a: Answer, who: Who, route: string) {
  expect(a.status, `${who} ${route}`).not.toBe(401);
  if (who !== 'nobody') expect(a.message, `${who} ${route}`).not.toBe(roleRefusal(who));
  expect(a.status, `${who} ${route}`).not.toBe(429);
}

describe('the HTTP role matrix', () => {
  it('has a policy for every registered route, and none for a route that is gone', () => {
    const registered = s.routes.map((r) => `${r.method} ${r.url}`);
    expect(registered.length).toBeGreaterThan(80);
    const missing = registered.filter((r) => !(r in POLICY));
    expect(missing, 'routes without a policy entry').toEqual([]);
    const stale = Object.keys(POLICY).filter((r) => !registered.includes(r));
    expect(stale, 'policy entries for routes that do not exist').toEqual([]);
  });

  it('answers every route as its policy says, for each role and for nobody', async () => {
    // Logging out ends the session it is called with: it runs last, with sessions of its own.
    const routes = [...s.routes].sort((a, b) => Number(a.url === '/api/auth/logout') - Number(b.url === '/api/auth/logout'));
    for (const { method, url } of routes) {
      const key = `${method} ${url}`;
      const policy = POLICY[key]!;
      const answers = new Map<Who, Answer>();
      for (const who of EVERYONE) {
        let token = tokens.get(who);
        if (url === '/api/auth/logout' && who !== 'nobody' && who !== 'wall') token = await session(who === 'admin' ? 'admin' : `matrix.${who}`);
        answers.set(who, await ask(method, url, token));
      }
      for (const who of EVERYONE) {
        const a = answers.get(who)!;
        if (policy === 'public') {
          expectAllowed(a, who, key);
          expect(a.status, `${who} ${key}: a session changes nothing on a public route`).toBe(answers.get('nobody')!.status);
        } else if (policy === 'ownKey') {
          expect(a.status, `${who} ${key}: a session is not this route's key`).toBe(answers.get('nobody')!.status);
          expect(a.status, `${who} ${key}`).toBeGreaterThanOrEqual(400);
        } else {
          const roles = policy === 'metrics' ? ['admin'] : policy.roles;
          const allowed = who !== 'nobody' && (roles.length === 0 || roles.includes(who));
          if (allowed) expectAllowed(a, who, key);
          else if (who === 'nobody') expect([a.status, a.code], `${who} ${key}`).toEqual([401, 'unauthorized']);
          else expect([a.status, a.message], `${who} ${key}`).toEqual([403, roleRefusal(who)]);
        }
      }
    }
  }, 120_000);
});

describe('the socket role matrix', () => {
  const sockets: LiveClient[] = [];
  afterAll(() => { for (const c of sockets) c.close(); });

  /** Connects as `who`: the socket once its snapshot arrived, or the handshake's refusal. */
  async function connect(who: Who, format: 1 | 2 = 1): Promise<LiveClient | string> {
    const c = liveClient(s.url, tokens.get(who), format);
    sockets.push(c);
    return once<LiveClient | string>((resolve) => {
      c.once('live:snapshot', () => resolve(c));
      c.once('live:start', () => resolve(c));
      c.once('connect_error', (e) => resolve(e.message));
    }, 15_000, `${who} connecting`);
  }

  it('lets only the declared roles connect', async () => {
    for (const who of EVERYONE) {
      const r = await connect(who);
      if (who !== 'nobody' && SOCKET_CONNECT.includes(who)) expect(typeof r, who).toBe('object');
      else expect(r, who).toBe(who === 'nobody' ? 'unauthorized' : 'forbidden');
      if (typeof r === 'object') r.close();
    }
  }, 60_000);

  it('has a policy for every event the server listens to, and answers each as declared', async () => {
    const admin = await connect('admin');
    expect(typeof admin).toBe('object');
    const serverSocket = [...s.app.io.sockets.sockets.values()].find((x) => x.id === (admin as LiveClient).id);
    expect(serverSocket).toBeDefined();
    const events = serverSocket!.eventNames().map(String).filter((e) => !RESERVED_EVENTS.has(e));
    (admin as LiveClient).close();
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => !(e in SOCKET_EVENTS)), 'socket events without a policy entry').toEqual([]);
    for (const event of events) {
      for (const role of SOCKET_CONNECT) {
        // A fresh socket per call: the resync events share a per-socket rate limit.
        const call = SOCKET_EVENT_ARGS[event] ?? { format: 1, args: [] };
        const c = await connect(role, call.format);
        expect(typeof c, `${role} ${event}`).toBe('object');
        const reply = await ((c as LiveClient).timeout(10_000).emitWithAck as (ev: string, ...a: unknown[]) => Promise<unknown>)(event, ...call.args) as { ok: boolean };
        expect(reply.ok, `${role} ${event}`).toBe(SOCKET_EVENTS[event]!.includes(role));
        (c as LiveClient).close();
      }
    }
  }, 120_000);
});
