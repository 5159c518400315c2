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
    throttle: new LoginThrottle(app.store.sql),
    revoke: (key) => app.auth.events.emit('revoked', key),
    auditRetentionMs: opts.auditRetentionDays * 86_400_000,
  }, opts.now());
  const failures = app.timerFailures;
  // The jobs' promises never reject (a failure is logged and counted); closing waits for the running ones.
  const running = new Set<Promise<void>>();
  const job = (name: string, work: () => Promise<void>) => (): Promise<void> => {
    const run = work().catch((err: unknown) => failures.record(name, err)).finally(() => running.delete(run));
    running.add(run);
    return run;
  };
  const prune = job('access retention', async () => {
    const pruned = await upkeep.prune(opts.now());
    if (pruned.sessions + pruned.audit > 0) app.log.info({ pruned }, 'retention: ended sessions and old audit entries deleted');
  });
  const sweep = setInterval(job('session sweep', async () => { await upkeep.sweep(opts.now()); }), opts.sweepMs ?? 5000);
  const retention = setInterval(prune, opts.pruneMs ?? 3_600_000);
  app.addHook('onReady', prune);
  app.addHook('onClose', async () => {
    clearInterval(sweep);
    clearInterval(retention);
    await Promise.all(running);
  });
}, { name: 'access-upkeep', dependencies: ['store', 'auth', 'live'] });
