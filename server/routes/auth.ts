import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse, LoginBody, LoginResponse, Principal } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';
import { newToken, verifyPassword } from '../auth/passwords.ts';
import { bearerToken } from '../plugins/auth.ts';
import { tokenHash } from '../store/access-repo.ts';

/** People log in with a password and get a session token; walls use display tokens instead. */
const auth: FastifyPluginAsyncTypebox<{ sessionTtlMs: number }> = async (app, opts) => {
  const { access, audit } = app.store;
  app.post('/api/auth/login', {
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags: ['auth'], security: [], body: LoginBody, response: { 200: LoginResponse, 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } },
  }, async (req) => {
    const { username, password } = req.body;
    const user = access.findUser(username);
    const ok = user !== undefined && !user.disabled && (await verifyPassword(password, user.passwordHash));
    if (!ok || !user) {
      audit.record(username, 'login.failed', undefined, { ip: req.ip });
      throw new HttpError(401, 'invalid_credentials', 'wrong username or password');
    }
    const token = newToken();
    const now = Date.now();
    access.createSession(token, user.id, opts.sessionTtlMs, now);
    audit.record(user.username, 'login', undefined, { ip: req.ip });
    return { token, expiresAt: now + opts.sessionTtlMs, user: { username: user.username, role: user.role, ...(user.unitId !== null ? { unitId: user.unitId } : {}) } };
  });

  app.post('/api/auth/logout', {
    onRequest: app.auth.requireRole(),
    schema: { tags: ['auth'], response: { 204: Type.Null(), 401: ErrorResponse } },
  }, async (req, reply) => {
    const token = bearerToken(req)!;
    if (req.principal?.type === 'user' && access.revokeSession(token)) {
      audit.record(req.principal.name, 'logout');
      app.auth.events.emit('revoked', `session:${tokenHash(token)}`);
    }
    return reply.status(204).send(null);
  });

  app.get('/api/auth/me', {
    onRequest: app.auth.requireRole(),
    schema: { tags: ['auth'], response: { 200: Principal, 401: ErrorResponse } },
  }, async (req) => {
    const p = req.principal!;
    return { type: p.type, name: p.name, role: p.role };
  });
};
export default auth;
