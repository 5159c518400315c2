import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorResponse } from '../../shared/schemas/http.ts';
import { SlaSettingsSchema } from '../../shared/schemas/sla.ts';

/** The 7123 settings: read by the duty desk and leaders, changed by an admin (audited). */
const sla: FastifyPluginAsyncTypebox<{ now: () => number }> = async (app, opts) => {
  const denied = { 401: ErrorResponse, 403: ErrorResponse };

  app.get('/api/sla-settings', {
    onRequest: app.auth.requireRole('dispatcher', 'leader', 'admin'),
    schema: { tags: ['sla'], description: 'Targets, warning lead, day counting and escalation delays of the SLA (7123) clocks.', response: { 200: SlaSettingsSchema, ...denied } },
  }, async () => app.slaSettings.get());

  app.put('/api/sla-settings', {
    onRequest: app.auth.requireRole('admin'),
    schema: {
      tags: ['sla'],
      description: 'Replaces the SLA settings. Applies to clocks started afterwards; running clocks keep the settings they started with.',
      body: SlaSettingsSchema,
      response: { 200: SlaSettingsSchema, 400: ErrorResponse, ...denied },
    },
  }, async (req) => {
    const by = req.principal!.name;
    // The audit row commits with the change.
    return app.store.sql.transaction(async (tx) => {
      const before = await app.slaSettings.get(tx);
      const after = await app.slaSettings.put(req.body, by, opts.now(), tx);
      await app.store.audit.record({ actor: by, action: 'slaSettings.update', target: 'sla-settings', detail: { before, after }, ts: opts.now() }, tx);
      return after;
    });
  });
};
export default sla;
