/** HTTP batches in (issue 8 part 4): per-integration keys, partial acceptance, idempotent retries, limits per key. */
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';
import { IdempotencyRepo } from '../ingest/http/idempotency-repo.ts';
import { IngestKeysRepo } from '../ingest/http/keys-repo.ts';
import { newHttpIngestStats } from '../ingest/http/feed-stats.ts';
import { MinuteRateLimit } from '../open311/rate-limit.ts';
import ingestRoutes from '../routes/ingest.ts';

export default fp<{ limits: Config['httpIngest']; now: () => number }>(async (app, opts) => {
  await app.register(ingestRoutes, {
    keys: new IngestKeysRepo(app.store.db),
    idempotency: new IdempotencyRepo(app.store.db),
    stats: newHttpIngestStats(),
    rateLimit: new MinuteRateLimit(opts.limits.ratePerMin, opts.now),
    maxBatch: opts.limits.maxBatch,
    maxBodyBytes: opts.limits.maxBodyBytes,
    now: opts.now,
    mqttStats: () => app.mqttIngest?.snapshot() ?? null,
  });
}, { name: 'http-ingest', dependencies: ['store', 'auth', 'live', 'devices', 'mqtt'] });
