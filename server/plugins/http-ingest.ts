/** HTTP batches in (issue 8 part 4): per-integration keys, partial acceptance, idempotent retries, limits per key. */
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { IdempotencyRepo } from '../ingest/http/idempotency-repo.ts';
import { IngestKeysRepo } from '../ingest/http/keys-repo.ts';
import { newHttpIngestStats } from '../ingest/http/feed-stats.ts';
import { MinuteRateLimit } from '../open311/rate-limit.ts';
import ingestRoutes from '../routes/ingest.ts';

export default fp<{ limits: Config['httpIngest']; now: () => number; flushMs?: number }>(async (app, opts) => {
  const keys = new IngestKeysRepo(app.store.sql);
  // The keys' usage counters are written in batches; a failed write keeps them for the next try.
  const flush = () => keys.flush().catch((err: unknown) => app.timerFailures.record('ingest key usage flush', err));
  const timer = setInterval(() => { void flush(); }, opts.flushMs ?? 5000);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await flush();
  });
  await app.register(ingestRoutes, {
    keys,
    idempotency: new IdempotencyRepo(app.store.sql),
    stats: newHttpIngestStats(),
    rateLimit: new MinuteRateLimit(opts.limits.ratePerMin, opts.now),
    maxBatch: opts.limits.maxBatch,
    maxBodyBytes: opts.limits.maxBodyBytes,
    now: opts.now,
    mqttStats: () => app.mqttIngest?.snapshot() ?? null,
  });
}, { name: 'http-ingest', dependencies: ['store', 'auth', 'live', 'devices', 'mqtt'] });
