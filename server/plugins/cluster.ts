/**
 * Several nodes through Redis (REDIS_URL): the Socket.IO Redis Streams adapter carries room
 * broadcasts (a revocation's disconnect) to every node, the live state is shared through a
 * stream (server/cluster/replication.ts), the device registry through the store and a pub/sub
 * channel of the changed devices' ids (server/cluster/device-sync.ts), and the run-once jobs
 * registered by the simulator, the alarm rules and the SLA timers run only on the node that
 * holds their lease.
 * Without REDIS_URL the node runs alone, as it always did: `app.cluster.status()` says 'single'.
 */
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Config } from '../config.ts';
import { ClusterNode, type ClusterStatus } from '../cluster/cluster-node.ts';
import { takeOverJobs } from '../cluster/run-once.ts';

declare module 'fastify' {
  interface FastifyInstance {
    cluster: {
      /** For health and readiness: alone, or this node's Redis state, leases and replication. */
      status(): ClusterStatus;
      /** Whether this node holds a run-once job's lease (always true when it runs alone). */
      holds(job: string): boolean;
      /**
       * A JT/T 808 terminal authenticated here: claimed cluster-wide, so that when it reconnects
       * to another node `close` ends the session it left here. Alone: nothing to do.
       */
      claimTerminal(terminal: string, close: () => void, stillOpen: () => boolean): void;
    };
  }
}

export interface ClusterPluginOptions {
  cluster: Config['cluster'];
  now: () => number;
  /** Tests: shorter periods. */
  flushMs?: number;
  snapshotMs?: number;
}

export default fp<ClusterPluginOptions>(async (app, opts) => {
  // The operators' view of the cluster (the load balancer reads /api/ready, which says only up or not).
  app.get('/api/cluster', { onRequest: app.auth.requireRole('admin'), schema: { tags: ['admin'], hide: false } }, async () => app.cluster.status());
  const c = opts.cluster;
  if (!c) {
    app.decorate('cluster', { status: (): ClusterStatus => ({ mode: 'single' }), holds: () => true, claimTerminal: () => {} });
    return;
  }
  const log = app.log.child({ module: 'cluster' });
  const node = new ClusterNode({
    redisUrl: c.redisUrl, keyPrefix: c.keyPrefix, nodeId: c.nodeId, leaseTtlMs: c.leaseTtlMs,
    live: app.live, now: opts.now, log, devices: app.deviceDirectory, guard: (name, fn) => app.timerFailures.run(name, fn),
    ...(opts.flushMs !== undefined ? { flushMs: opts.flushMs } : {}),
    ...(opts.snapshotMs !== undefined ? { snapshotMs: opts.snapshotMs } : {}),
  });
  // Stopped here, before the server listens; each starts again on the node that gets its lease.
  takeOverJobs(app, (job) => node.addJob(job));
  // The adapter's own connection keeps an offline queue: its read loop retries at once on an
  // error, so a connection that failed every command at once would spin while Redis is away.
  const adapterClient = new Redis(c.redisUrl, { retryStrategy: (n: number) => Math.min(200 * n, 2000) });
  adapterClient.on('error', () => {});
  app.io.adapter(createAdapter(adapterClient, { streamName: `${c.keyPrefix}:sio`, maxLen: 10_000 }));
  app.decorate('cluster', {
    status: () => node.status(),
    holds: (job: string) => node.holds(job),
    claimTerminal: (terminal: string, close: () => void, stillOpen: () => boolean) => { void node.terminals.claim(terminal, close, stillOpen); },
  });
  // /api/ready says not ready while Redis is away: the screens this node holds keep their stream
  // (the node goes on alone), but a load balancer should send new screens to a node that sees the others.
  app.readiness.add('redis', () => (node.status().redis === 'up' ? { ok: true } : { ok: false, reason: 'Redis unreachable: this node runs alone until it returns' }));
  log.info({ nodeId: node.nodeId, leaseTtlMs: c.leaseTtlMs }, 'cluster: joining through Redis');
  // Ready: every module has registered its jobs and listeners.
  app.addHook('onReady', async () => node.start());
  app.addHook('onClose', async () => {
    await node.close();
    adapterClient.disconnect();
  });
}, { name: 'cluster', dependencies: ['live', 'devices', 'realtime', 'ops-metrics'] });
