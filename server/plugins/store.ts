/** The embedded SQLite store and its repositories. */
import fp from 'fastify-plugin';
import { openDatabase, type Db } from '../store/database.ts';
import { AccessRepo } from '../store/access-repo.ts';
import { AuditRepo } from '../store/audit-repo.ts';
import { DevicesRepo } from '../devices/device-repo.ts';
import { ServerSecret } from '../auth/server-secret.ts';
import { SqliteStore } from '../store/sql/sqlite-store.ts';
import type { SqlStore } from '../store/sql/types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: {
      db: Db;
      /** The asynchronous layer (server/store/sql/) over the same handle: converted repositories use this. */
      sql: SqlStore;
      access: AccessRepo;
      devices: DevicesRepo;
      audit: AuditRepo;
      secret: ServerSecret;
    };
  }
}

export default fp<{ dataDir: string }>(async (app, opts) => {
  const db = openDatabase(opts.dataDir);
  const sql = new SqliteStore(db);
  app.decorate('store', { db, sql, access: new AccessRepo(sql), devices: new DevicesRepo(sql), audit: new AuditRepo(sql), secret: await ServerSecret.load(sql) });
  app.addHook('onClose', async () => {
    db.close();
  });
}, { name: 'store' });
