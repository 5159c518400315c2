/**
 * History (server/history): listens to the change stream, buffers kept points in memory,
 * writes them on a timer in one transaction, prunes past the retention once a day, and
 * exposes `app.history` (HistoryPort) and GET /api/history/track. Registered right after
 * `live`, before the simulator, so it sees the first reports.
 */
import fp from 'fastify-plugin';
import { HistoryStore, type HistoryPort } from '../history/history-store.ts';
import { restoreLastKnown } from '../history/restore.ts';
import historyRoutes from '../routes/history.ts';
import { isReplaying } from '../cluster/replaying.ts';

declare module 'fastify' {
  interface FastifyInstance {
    history: HistoryPort;
    /** The writer behind the port: flush, prune, stats (for health and the bench). */
    historyStore: HistoryStore;
  }
}

export interface HistoryPluginOptions {
  now: () => number;
  minMoveM: number;
  maxGapS: number;
  flushS: number;
  retentionDays: number;
  /** Default: the pack's meta.timezone. */
  timeZone?: string;
}

const DAY_MS = 86_400_000;

export default fp<HistoryPluginOptions>(async (app, opts) => {
  const timeZone = opts.timeZone ?? app.district.pack.meta.timezone;
  if (!timeZone) throw new Error('history needs the district time zone (pack meta.timezone)');
  const store = await HistoryStore.open(app.store.sql, {
    policy: { minMoveM: opts.minMoveM, maxGapS: opts.maxGapS }, timeZone, retentionDays: opts.retentionDays, now: opts.now,
  });
  await store.registerEntities(app.live.all());
  // Before anything reports: the wall opens on the last known district, each entity with its age.
  const restored = await restoreLastKnown(app.live, store, opts.now());
  app.log.info({ restored: restored.restored, skipped: restored.skipped, ms: restored.ms }, `history: last known state of ${restored.restored} entities restored in ${restored.ms} ms`);
  app.decorate('history', store as HistoryPort);
  app.decorate('historyStore', store);
  // A change another node accepted is written by that node (server/cluster/replication.ts): one point per report.
  const unsubscribe = app.live.changes.subscribe('history', (c) => { if (!isReplaying(app.live)) store.onChange(c); });
  // An entity added at run time (a device registered for a new entity) gets its track from its
  // first report, and is named in the flush that writes it (no commit of its own: 10,000
  // terminals registering at once would be 10,000 more syncs).
  // Blind-area batches and readings uploaded late: kept at their own time.
  const unsubscribeLate = app.live.onLate('history', (l) => { if (!isReplaying(app.live)) store.onLate(l); });

  // A rejected flush would be unhandled: log and try again next time (the points stay buffered).
  // Flushes queue one behind the other (HistoryStore.flush), so a slow store never runs two at once.
  const flush = (): Promise<void> => store.flush().then(() => undefined, (err: unknown) => {
    store.stats.flushFailures++;
    app.log.error({ err }, 'history flush failed; points kept for the next flush');
  });
  // A timer tick while a flush still runs adds nothing to the queue: the running one's successor would only find the same points.
  let flushing: Promise<void> | undefined;
  const tick = () => { flushing ??= flush().finally(() => { flushing = undefined; }); };
  // One prune at a time; closing waits for the one running, so the store is not closed under it.
  let pruning: Promise<void> | undefined;
  const prune = () => {
    pruning ??= store.prune().then((r) => {
      if (r.deletedTrackRows > 0 || r.droppedPartitions.length > 0) {
        app.log.info({ buckets: r.deletedTrackRows, partitions: r.droppedPartitions, days: r.deletedDailyRows, retentionDays: opts.retentionDays }, 'history pruned');
      }
    }, (err: unknown) => { app.log.error({ err }, 'history prune failed'); }).finally(() => { pruning = undefined; });
  };
  const flushTimer = setInterval(tick, opts.flushS * 1000);
  flushTimer.unref();
  const pruneTimer = setInterval(prune, DAY_MS);
  pruneTimer.unref();
  // At start too, so a server restarted every night still prunes.
  const firstPrune = setImmediate(prune);

  app.addHook('onClose', async () => {
    clearInterval(flushTimer);
    clearInterval(pruneTimer);
    clearImmediate(firstPrune);
    unsubscribe();
    unsubscribeLate();
    await pruning;
    await flush();
  });
  await app.register(historyRoutes);
}, { name: 'history', dependencies: ['store', 'live', 'auth'] });
