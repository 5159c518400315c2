import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BriefingQuery, BriefingResponse } from '../../shared/schemas/briefing.ts';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import { BriefingFactsRepo, alarmWindowKey } from '../analytics/facts-repo.ts';
import { alarmWindows, computeBriefing } from '../analytics/indicators.ts';
import { resolvePeriod } from '../analytics/period.ts';

export interface BriefingRouteOptions {
  now: () => number;
  /** 按时派遣: dispatched within this many minutes of registration (BRIEFING_DISPATCH_TARGET_MIN). */
  dispatchTargetMin: number;
}

/** The leaders' briefing: a period's indicators against the previous period of equal length. Read-only. */
const briefing: FastifyPluginAsyncTypebox<BriefingRouteOptions> = async (app, opts) => {
  const pack = app.district.pack;
  const repo = new BriefingFactsRepo(app.store.sql);
  const orgs = pack.organisations ?? [];
  const streets = orgs.some((o) => o.type === 'street')
    ? orgs.filter((o) => o.type === 'street').map((o) => ({ code: o.code, name: o.name }))
    : pack.streets.features.map((f) => ({ code: f.properties.code, name: f.properties.name }));
  const departments = orgs.filter((o) => o.type === 'department').map((o) => ({ code: o.code, name: o.name }));
  const deptOfItem = new Map((pack.taxonomy?.items ?? []).map((i) => [i.code, i.deptCode]));
  const muckTrucks = pack.muckTrucks.map((t) => ({ id: t.id, company: t.company }));
  const district = `${pack.meta.city}${pack.meta.name}`;

  app.get('/api/briefing', {
    onRequest: app.auth.requireRole('leader', 'admin', 'dispatcher'),
    schema: {
      tags: ['briefing'],
      description: 'The leaders\' briefing for a period in the district\'s local time (today, yesterday, week, month, or custom from..to): KPIs against the previous period of equal length, trend by hour (one-day periods) or day, the 13 streets and the departments with 立案数, 结案率, 按期结案率, 按时派遣率, 返工率 (over the cases due in the period; each figure\'s definition in `definitions`), 7123 compliance and muck-truck violations by company. A rate with nothing to count is null.',
      querystring: BriefingQuery,
      response: { 200: BriefingResponse, 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse },
    },
  }, async (req) => {
    const now = opts.now();
    const period = resolvePeriod(req.query, now, pack.meta.timezone);
    const from = period.previous.from;
    const to = period.current.to;
    const alarmCounts = await repo.countAlarmsIn(alarmWindows(period, pack.meta.timezone));
    return computeBriefing({
      district, timeZone: pack.meta.timezone, now, period,
      cases: await repo.cases(from, to, (item) => deptOfItem.get(item) ?? null),
      muckAlarms: await repo.muckAlarms(from, to),
      countAlarms: (a, b) => {
        const n = alarmCounts.get(alarmWindowKey(a, b));
        if (n === undefined) throw new Error(`briefing: alarms of [${a}, ${b}) were not counted (alarmWindows and computeBriefing disagree)`);
        return n;
      },
      streets, departments, muckTrucks,
      dispatchTargetMs: opts.dispatchTargetMin * 60_000,
    });
  });
};
export default briefing;
