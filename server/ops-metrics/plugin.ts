/**
 * Operations: readiness checks (GET /api/ready reads them) and Prometheus metrics at /metrics.
 * /metrics is never public: with METRICS_PORT it is served on 127.0.0.1 on that port only (for a
 * scraper on the same host or a sidecar), otherwise on the app's port to a bearer METRICS_TOKEN or
 * an admin's session.
 */
import { createServer, type Server } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../plugins/auth.ts';
import { HttpError } from '../http-error.ts';
import { Readiness } from './readiness.ts';
import { createMetrics, packetBytes, type OpsMetrics } from './metrics.ts';

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness;
    opsMetrics: OpsMetrics;
    /** The loopback metrics listener when METRICS_PORT is set. */
    metricsServer: Server | undefined;
  }
}

export interface OpsMetricsOptions {
  tickMs: number;
  token: string | undefined;
  port: number | undefined;
}

const STORE_PROBE_MS = 5000;

const digest = (s: string) => createHash('sha256').update(s).digest();

export default fp<OpsMetricsOptions>(async (app, opts) => {
  const readiness = new Readiness();
  const metrics = createMetrics({
    ingest: () => app.ingest.snapshotStats(),
    screens: () => app.io.engine.clientsCount,
    entities: () => app.live.size,
  });
  app.decorate('readiness', readiness);
  app.decorate('opsMetrics', metrics);

  // Through the asynchronous layer: on SQLite the probe waits its turn behind a running transaction, as every request does.
  const probeStore = async () => {
    const t0 = performance.now();
    await app.store.sql.one('SELECT 1 AS ok');
    metrics.storeLatency.observe((performance.now() - t0) / 1000);
  };
  readiness.add('store', async () => {
    await probeStore();
    return { ok: true };
  });
  readiness.add('mqtt', () => {
    // Without MQTT_URL there is no broker to wait for.
    if (!app.mqttIngest) return { ok: true };
    return app.mqttIngest.snapshot().connected ? { ok: true } : { ok: false, reason: 'broker not connected' };
  });

  let tickTimer: NodeJS.Timeout | undefined;
  let probeTimer: NodeJS.Timeout | undefined;
  let closed = false;
  app.addHook('onReady', async () => {
    app.io.engine.on('connection', (socket: { on(e: 'packetCreate', f: (p: { data?: unknown }) => void): void }) => {
      socket.on('packetCreate', app.timerFailures.guard('metrics fan-out count', (p) => metrics.fanOutBytes.inc(packetBytes(p.data))));
    });
    let expected = performance.now() + opts.tickMs;
    const onTick = app.timerFailures.guard('metrics tick lag', () => {
      const now = performance.now();
      metrics.tickLag.observe(Math.max(0, now - expected) / 1000);
      expected = now + opts.tickMs;
      if (!closed) tickTimer = setTimeout(onTick, opts.tickMs).unref();
    });
    tickTimer = setTimeout(onTick, opts.tickMs).unref();
    probeTimer = setInterval(() => { probeStore().catch((err: unknown) => app.timerFailures.record('metrics store probe', err)); }, STORE_PROBE_MS).unref();
  });

  const exposition = async () => ({ body: await metrics.registry.metrics(), type: metrics.registry.contentType });

  let server: Server | undefined;
  if (opts.port !== undefined) {
    const port = opts.port;
    server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      exposition().then(
        ({ body, type }) => res.writeHead(200, { 'content-type': type }).end(body),
        (err: unknown) => {
          app.log.error({ err }, 'metrics exposition failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
        },
      );
    });
    app.addHook('onReady', () => new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      // Loopback only: the metrics say how busy the city is, and carry no authentication here.
      server!.listen(port, '127.0.0.1', () => { server!.off('error', reject); resolve(); });
    }));
    // Not the page fallback's HTML either: on the app's port /metrics does not exist.
    app.get('/metrics', { schema: { hide: true } }, async () => {
      throw new HttpError(404, 'not_found', 'no such route');
    });
  } else {
    const expected = opts.token === undefined ? undefined : digest(opts.token);
    const allowed = async (req: FastifyRequest) => {
      const token = bearerToken(req);
      // Compared as digests so that neither the length nor the content leaks through timing.
      if (expected && token !== undefined && timingSafeEqual(digest(token), expected)) return;
      const p = await app.auth.resolve(token);
      if (!p) throw new HttpError(401, 'unauthorized', 'the metrics token or an admin session is required');
      if (p.role !== 'admin') throw new HttpError(403, 'forbidden', `role ${p.role} may not do this`);
    };
    app.get('/metrics', { onRequest: allowed, schema: { tags: ['system'], description: 'Prometheus metrics (text exposition). Bearer METRICS_TOKEN or an admin session; with METRICS_PORT only on 127.0.0.1:METRICS_PORT.' } }, async (_req, reply) => {
      const { body, type } = await exposition();
      return reply.type(type).send(body);
    });
  }
  app.decorate('metricsServer', server);

  app.addHook('onClose', async () => {
    closed = true;
    clearTimeout(tickTimer);
    clearInterval(probeTimer);
    if (server?.listening) await new Promise<void>((resolve) => server!.close(() => resolve()));
  });
}, { name: 'ops-metrics', dependencies: ['store', 'auth'] });
