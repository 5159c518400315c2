/** The embedded SQLite store and its repositories. */
import fp from 'fastify-plugin';
import { openDatabase, type Db } from '../store/database.ts';
import { AccessRepo } from '../store/access-repo.ts';
import { AuditRepo } from '../store/audit-repo.ts';
import { DevicesRepo } from '../devices/device-repo.ts';
import { ServerSecret } from '../auth/server-secret.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: { db: Db; access: AccessRepo; devices: DevicesRepo; audit: AuditRepo; secret: ServerSecret };
  }
}

export default fp<{ dataDir: string }>(async (app, opts) => {
  const db = openDatabase(opts.dataDir);
  app.decorate('store', { db, access: new AccessRepo(db), devices: new DevicesRepo(db), audit: new AuditRepo(db), secret: new ServerSecret(db) });
  app.addHook('onClose', async () => {
    db.close();
  });
}, { name: 'store' });
