/**
 * Who is asking: a person's session token or a wall's display token, as a bearer token
 * (HTTP) or the socket handshake's `auth.token`. Routes declare the roles they accept.
 */
import { EventEmitter } from 'node:events';
import fp from 'fastify-plugin';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Role } from '../../shared/roles.ts';
import type { Principal } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';
import { tokenHash } from '../store/access-repo.ts';
import { auditScope, type AuditScope } from '../store/audit-repo.ts';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The principal plus what revocation needs to find its sockets, and a crew user's unit. */
export interface AuthContext extends Principal {
  revocationKey: string;
  /** crew only: the unit (live entity id) this user may act for */
  unitId?: string;
}

export interface Auth {
  resolve(token: string | undefined): Promise<AuthContext | undefined>;
  /**
   * A route's `onRequest` hook: it runs before the body is parsed and validated, so that a caller
   * without the role gets 401/403 and never the schema's details (allowed values, required fields).
   */
  requireRole(...roles: Role[]): onRequestAsyncHookHandler;
  /** Emits 'revoked' with a revocation key when a session or display token is revoked. */
  events: EventEmitter;
}

declare module 'fastify' {
  interface FastifyInstance { auth: Auth }
  interface FastifyRequest { principal: AuthContext | undefined; auditScope: AuditScope | undefined }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h === 'string' && h.startsWith('Bearer ')) return h.slice(7).trim() || undefined;
  return undefined;
}

export default fp(async (app) => {
  const access = app.store.access;
  const events = new EventEmitter();
  const resolve = async (token: string | undefined): Promise<AuthContext | undefined> => {
    if (!token || token.length > 200) return undefined;
    const user = await access.sessionUser(token);
    if (user) {
      const ctx: AuthContext = { type: 'user', name: user.username, role: user.role, revocationKey: `session:${tokenHash(token)}` };
      if (user.unitId !== null) ctx.unitId = user.unitId;
      return ctx;
    }
    const display = await access.useDisplayToken(token);
    if (display) return { type: 'display', name: display.name, role: 'wall', revocationKey: `display:${display.id}` };
    return undefined;
  };
  app.decorateRequest('principal', undefined);
  app.decorateRequest('auditScope', undefined);
  // Every write by a signed-in principal leaves an entry: the route's own (e.g. case.dispatch) or,
  // where a route records none, a generic one with the method, path and status. The scope runs
  // the rest of the request inside it, which is how the route's audit.record call is seen here.
  app.addHook('onRequest', (req, _reply, done) => {
    if (!WRITE_METHODS.has(req.method)) return done();
    const scope: AuditScope = { recorded: false };
    req.auditScope = scope;
    auditScope.run(scope, done);
  });
  app.addHook('onResponse', async (req, reply) => {
    const p = req.principal;
    // Refused writes changed nothing; failed logins are recorded by the login route itself.
    if (!p || !req.auditScope || req.auditScope.recorded || reply.statusCode >= 400) return;
    try {
      const path = req.url.split('?')[0]!;
      await app.store.audit.record({ actor: p.name, action: 'request.write', target: path, detail: { method: req.method, route: req.routeOptions.url, status: reply.statusCode, role: p.role, ip: req.ip } });
    } catch (err) {
      // The answer is sent already; a full disk must show in the log, not as a crash.
      req.log.error({ err }, 'audit entry for a write could not be recorded');
    }
  });
  app.decorate('auth', {
    resolve,
    events,
    requireRole: (...roles: Role[]) => async (req: FastifyRequest, _reply: FastifyReply) => {
      const p = await resolve(bearerToken(req));
      if (!p) throw new HttpError(401, 'unauthorized', 'a valid session or display token is required');
      if (roles.length > 0 && !roles.includes(p.role)) throw new HttpError(403, 'forbidden', `role ${p.role} may not do this`);
      req.principal = p;
    },
  });
}, { name: 'auth', dependencies: ['store'] });
