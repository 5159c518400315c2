/** Runs the session sweep (live sockets of ended sessions close) and the retention job (server/auth/upkeep.ts) on timers. */
import fp from 'fastify-plugin';
import { AccessUpkeep } from '../auth/upkeep.ts';
import { LoginThrottle } from '../auth/login-throttle.ts';

export interface AccessUpkeepOptions {
  now: () => number;
  auditRetentionDays: number;
  /** How often ended sessions are looked for: a socket outlives its session by at most this. */
  sweepMs?: number;
  pruneMs?: number;
}

export default fp<AccessUpkeepOptions>(async (app, opts) => {
  const upkeep = new AccessUpkeep({
    access: app.store.access,
    audit: app.store.audit,
    throttle: new LoginThrottle(app.store.db),
    revoke: (key) => app.auth.events.emit('revoked', key),
    auditRetentionMs: opts.auditRetentionDays * 86_400_000,
  }, opts.now());
  const failures = app.timerFailures;
  const prune = failures.guard('access retention', () => {
    const pruned = upkeep.prune(opts.now());
    if (pruned.sessions + pruned.audit > 0) app.log.info({ pruned }, 'retention: ended sessions and old audit entries deleted');
  });
  const sweep = setInterval(failures.guard('session sweep', () => { upkeep.sweep(opts.now()); }), opts.sweepMs ?? 5000);
  const retention = setInterval(prune, opts.pruneMs ?? 3_600_000);
  app.addHook('onReady', async () => prune());
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    clearInterval(retention);
  });
}, { name: 'access-upkeep', dependencies: ['store', 'auth', 'live'] });
