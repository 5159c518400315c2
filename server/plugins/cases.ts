/**
 * Cases (GB/T 30428): decorates `app.cases` (CasesPort) and serves the cases API, the
 * taxonomy and the organisations. The SLA module is found lazily, since it registers later.
 */
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { SqliteCasesRepo } from '../cases/cases-repo.ts';
import { CasesService } from '../cases/cases-service.ts';
import { PhotoFiles } from '../cases/photo-files.ts';
import { DistrictLocator } from '../district/locator.ts';
import type { CasesPort, SlaPort } from '../ops/ports.ts';
import casesRoutes from '../routes/cases.ts';

declare module 'fastify' {
  interface FastifyInstance { cases: CasesPort }
}

export interface CasesPluginOptions {
  now: () => number;
  dataDir: string;
  photoMaxBytes: number;
  codePrefix: string;
}

export default fp<CasesPluginOptions>(async (app, opts) => {
  const service = new CasesService({
    repo: new SqliteCasesRepo(app.store.db),
    pack: app.district.pack,
    locator: new DistrictLocator(app.district.pack),
    events: app.domainEvents,
    now: opts.now,
    sla: () => (app.hasDecorator('sla') ? (app as unknown as { sla: SlaPort }).sla : undefined),
    codePrefix: opts.codePrefix,
  });
  app.decorate('cases', service);
  await app.register(casesRoutes, { service, photos: new PhotoFiles(join(opts.dataDir, 'photos')), photoMaxBytes: opts.photoMaxBytes });
}, { name: 'cases', dependencies: ['store', 'auth', 'live', 'domain-events'] });
