/**
 * The store and its repositories: the embedded SQLite file under DATA_DIR (the default), or
 * PostgreSQL when DATABASE_URL is set (several nodes share one: server/cluster/). Every
 * repository runs on the asynchronous layer (server/store/sql/), so nothing past this plugin
 * knows which one it is, except where a statement needs a dialect switch (`sql.dialect`).
 */
import fp from 'fastify-plugin';
import { AccessRepo } from '../store/access-repo.ts';
import { AuditRepo } from '../store/audit-repo.ts';
import { DevicesRepo } from '../devices/device-repo.ts';
import { ServerSecret } from '../auth/server-secret.ts';
import { openSqlStore } from '../store/sql/open.ts';
import type { SqlStore } from '../store/sql/types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: {
      /** The asynchronous layer every repository uses. */
      sql: SqlStore;
      access: AccessRepo;
      devices: DevicesRepo;
      audit: AuditRepo;
      secret: ServerSecret;
    };
  }
}

export interface StorePluginOptions {
  dataDir: string;
  /** PostgreSQL; absent: the SQLite file under dataDir. */
  database?: { url: string; schema: string | undefined };
}

export default fp<StorePluginOptions>(async (app, opts) => {
  const sql = await openSqlStore({
    dataDir: opts.dataDir,
    ...(opts.database ? { databaseUrl: opts.database.url, schema: opts.database.schema } : {}),
    // An idle pooled connection that drops (a PostgreSQL restart) is logged; the pool opens another.
    onIdleError: (err) => app.log.error({ err }, 'store: an idle PostgreSQL connection failed'),
  });
  try {
    app.decorate('store', { sql, access: new AccessRepo(sql), devices: new DevicesRepo(sql), audit: new AuditRepo(sql), secret: await ServerSecret.load(sql) });
  } catch (err) {
    await sql.close();
    throw err;
  }
  app.addHook('onClose', async () => {
    await sql.close();
  });
}, { name: 'store' });
