import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse, LoginBody, LoginResponse, Principal } from '../../shared/schemas/http.ts';
import { ChangePasswordBody } from '../../shared/schemas/access.ts';
import { HttpError } from '../http-error.ts';
import { hashPassword, newToken, verifyPassword } from '../auth/passwords.ts';
import { LoginChecker } from '../auth/login.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';
import { describePasswordProblem, passwordProblem } from '../auth/password-policy.ts';
import { bearerToken } from '../plugins/auth.ts';
import { tokenHash } from '../store/access-repo.ts';

/**
 * People log in with a password and get a session token, sent back as a bearer token (no
 * cookie, so no CSRF: a page on another site cannot make the browser attach it); walls use
 * display tokens instead.
 */
const auth: FastifyPluginAsyncTypebox<{ sessionTtlMs: number; now?: () => number }> = async (app, opts) => {
  const { access, audit } = app.store;
  const now = opts.now ?? Date.now;
  const login = new LoginChecker({ access, throttle: new LoginThrottle(app.store.sql) });

  app.post('/api/auth/login', {
    // Per address, before any work; the lockout per user and per address is LoginChecker's.
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: { tags: ['auth'], security: [], body: LoginBody, response: { 200: LoginResponse, 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse } },
  }, async (req, reply) => {
    const { username, password } = req.body;
    const at = now();
    const outcome = await login.attempt(username, password, req.ip, at);
    if (!outcome.ok && outcome.reason === 'locked') {
      const retryS = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      await audit.record({ actor: username, action: 'login.locked', detail: { ip: req.ip, retryS }, ts: at });
      void reply.header('retry-after', String(retryS));
      throw new HttpError(429, 'login_locked', `too many failed logins; try again in ${retryS} s`);
    }
    if (!outcome.ok) {
      await audit.record({ actor: username, action: 'login.failed', detail: { ip: req.ip }, ts: at });
      throw new HttpError(401, 'invalid_credentials', 'wrong username or password');
    }
    const { user } = outcome;
    const token = newToken();
    await access.createSession(token, user.id, opts.sessionTtlMs, at);
    await audit.record({ actor: user.username, action: 'login', detail: { ip: req.ip }, ts: at });
    return { token, expiresAt: at + opts.sessionTtlMs, user: { username: user.username, role: user.role, ...(user.unitId !== null ? { unitId: user.unitId } : {}) } };
  });

  app.post('/api/auth/logout', {
    onRequest: app.auth.requireRole(),
    schema: { tags: ['auth'], response: { 204: Type.Null(), 401: ErrorResponse } },
  }, async (req, reply) => {
    const token = bearerToken(req)!;
    if (req.principal?.type === 'user' && (await access.revokeSession(token))) {
      await audit.record({ actor: req.principal.name, action: 'logout' });
      app.auth.events.emit('revoked', `session:${tokenHash(token)}`);
    }
    return reply.status(204).send(null);
  });

  app.post('/api/auth/password', {
    onRequest: app.auth.requireRole(),
    config: { rateLimit: { max: 10, timeWindow: '1 minute' } },
    schema: {
      tags: ['auth'],
      description: 'Change your own password (the password policy applies). Your other sessions end, and their live screens are cut off; this one stays.',
      body: ChangePasswordBody, response: { 204: Type.Null(), 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 429: ErrorResponse },
    },
  }, async (req, reply) => {
    const p = req.principal!;
    if (p.type !== 'user') throw new HttpError(403, 'forbidden', 'a display token has no password');
    const user = await access.findUser(p.name);
    if (!user) throw new HttpError(401, 'unauthorized', 'a valid session is required');
    // The current password again: a session left open on a desk must not be enough to take the account.
    if (!(await verifyPassword(req.body.currentPassword, user.passwordHash))) {
      await audit.record({ actor: p.name, action: 'password.changeFailed', target: p.name, detail: { ip: req.ip } });
      throw new HttpError(401, 'invalid_credentials', 'the current password is wrong');
    }
    const problem = passwordProblem(req.body.newPassword, user.username);
    if (problem) throw new HttpError(400, 'weak_password', describePasswordProblem(problem), { rule: problem });
    const ended = await access.setPassword(user.id, await hashPassword(req.body.newPassword), now(), tokenHash(bearerToken(req)!));
    await audit.record({ actor: p.name, action: 'password.change', target: p.name, detail: { endedSessions: ended.length, ip: req.ip } });
    for (const hash of ended) app.auth.events.emit('revoked', `session:${hash}`);
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
