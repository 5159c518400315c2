/**
 * Open311 GeoReport v2 (/open311/v2) for citizens' reports from the report page, citizen
 * apps and a 12345 system, on top of the cases module (CasesPort). Registers the report
 * page's own key at start when none is active, and serves the staff side (keys, reporter
 * contact, report page config).
 */
import { join } from 'node:path';
import fp from 'fastify-plugin';
import type { ReportPageConfig } from '../../shared/open311.ts';
import { PhotoFiles } from '../cases/photo-files.ts';
import { DistrictLocator } from '../district/locator.ts';
import { Gazetteer } from '../open311/gazetteer.ts';
import { Open311KeysRepo } from '../open311/keys-repo.ts';
import { MinuteRateLimit } from '../open311/rate-limit.ts';
import { Open311RequestsRepo } from '../open311/requests-repo.ts';
import { Open311RequestsService } from '../open311/requests-service.ts';
import { inUnitOfWork } from '../store/sql/unit-of-work.ts';
import { OPEN311_PREFIX, open311AdminRoutes, open311Routes } from '../routes/open311.ts';

declare module 'fastify' {
  interface FastifyInstance {
    open311: { service: Open311RequestsService; keys: Open311KeysRepo };
  }
}

export interface Open311PluginOptions {
  now: () => number;
  dataDir: string;
  photoMaxBytes: number;
  publicUrl: string | undefined;
  ratePerMin: number;
  maxResults: number;
  contact: string;
}

/** The report page's key is shared by every browser: the whole key may take this many times one client's rate. */
const REPORT_PAGE_KEY_FACTOR = 20;

export default fp<Open311PluginOptions>(async (app, opts) => {
  const pack = app.district.pack;
  const keys = new Open311KeysRepo(app.store.sql, (p) => app.store.secret.derive(p));
  const service = new Open311RequestsService({
    cases: app.cases,
    keys,
    repo: new Open311RequestsRepo(app.store.sql),
    gazetteer: new Gazetteer(pack, new DistrictLocator(pack)),
    // The same directory and writer as the cases API's photos (type by magic bytes, durable write).
    photos: new PhotoFiles(join(opts.dataDir, 'photos')),
    photoLink: (caseId, photoId) => app.photoLinks.path(caseId, photoId),
    meta: pack.meta,
    audit: (actor, action, target, detail, tx) => app.store.audit.record({ actor, action, target, detail }, tx),
    now: opts.now,
    maxResults: opts.maxResults,
    transaction: (fn) => inUnitOfWork(app.store.sql, fn),
  });
  const first = await keys.reportPage(opts.now());
  app.log.info({ keyId: first.row.id }, 'open311: report page key active');
  const reportPage = async (): Promise<ReportPageConfig> => ({
    apiKey: (await keys.reportPage(opts.now())).key,
    jurisdictionId: service.jurisdictionId,
    district: { name: pack.meta.name, center: [pack.meta.center[0], pack.meta.center[1]], bbox: pack.meta.bbox },
    photoMaxBytes: opts.photoMaxBytes,
  });
  const perKey = new MinuteRateLimit(opts.ratePerMin, opts.now);
  const perClient = new MinuteRateLimit(opts.ratePerMin, opts.now);
  const reportPageTotal = new MinuteRateLimit(opts.ratePerMin * REPORT_PAGE_KEY_FACTOR, opts.now);
  app.decorate('open311', { service, keys });
  await app.register(open311Routes, {
    prefix: OPEN311_PREFIX,
    service, keys,
    rateLimit: async (keyId, client) => {
      if (keyId !== (await keys.reportPage(opts.now())).row.id) return perKey.take(String(keyId));
      return perClient.take(`${keyId}:${client}`) || reportPageTotal.take(String(keyId));
    },
    photoMaxBytes: opts.photoMaxBytes,
    publicUrl: opts.publicUrl,
    contact: opts.contact,
    now: opts.now,
  });
  await app.register(open311AdminRoutes, { service, keys, reportPage, now: opts.now });
}, { name: 'open311', dependencies: ['store', 'auth', 'cases'] });
