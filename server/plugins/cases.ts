/**
 * Cases (GB/T 30428): decorates `app.cases` (CasesPort) and serves the cases API, the
 * taxonomy and the organisations. The SLA module is found lazily, since it registers later.
 */
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { CasesService } from '../cases/cases-service.ts';
import { PhotoFiles } from '../cases/photo-files.ts';
import { PhotoLinks } from '../cases/photo-links.ts';
import { DistrictLocator } from '../district/locator.ts';
import type { CasesPort, SlaPort } from '../ops/ports.ts';
import casesRoutes from '../routes/cases.ts';

declare module 'fastify' {
  interface FastifyInstance {
    cases: CasesPort;
    /** Signed links to case photos, for who has no login (Open311 media_url, the citizen's status page). */
    photoLinks: PhotoLinks;
  }
}

export interface CasesPluginOptions {
  now: () => number;
  dataDir: string;
  photoMaxBytes: number;
  codePrefix: string;
}

export default fp<CasesPluginOptions>(async (app, opts) => {
  const service = new CasesService({
    store: app.store.sql,
    pack: app.district.pack,
    locator: new DistrictLocator(app.district.pack),
    events: app.domainEvents,
    now: opts.now,
    sla: () => (app.hasDecorator('sla') ? (app as unknown as { sla: SlaPort }).sla : undefined),
    codePrefix: opts.codePrefix,
  });
  const links = new PhotoLinks(app.store.secret.derive('photo-link'), opts.now);
  app.decorate('cases', service);
  app.decorate('photoLinks', links);
  await app.register(casesRoutes, { service, photos: new PhotoFiles(join(opts.dataDir, 'photos')), photoMaxBytes: opts.photoMaxBytes, links });
}, { name: 'cases', dependencies: ['store', 'auth', 'live', 'domain-events'] });
