import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlarmActionBody, AlarmListQuery, AlarmSchema, AlarmSettingsDoc, PutAlarmSettingsBody } from '../../shared/schemas/alarms.ts';
import { ErrorResponse, IdParams } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';
import type { Actor } from '../ops/ports.ts';

/** Alarms for the duty desk (list, detail, acknowledge, clear) and their thresholds (read by the desk, changed by an admin). Every write audited. */
const alarms: FastifyPluginAsyncTypebox<{ now: () => number }> = async (app, opts) => {
  const mod = app.alarmsModule;
  const audit = app.store.audit;
  const readers = app.auth.requireRole('dispatcher', 'leader', 'admin');
  const actors = app.auth.requireRole('dispatcher', 'admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };
  const actorOf = (p: { name: string; role: string } | undefined): Actor => ({ name: p!.name, role: p!.role });

  app.get('/api/alarms', {
    onRequest: readers,
    schema: { tags: ['alarms'], description: 'Alarms, newest update first.', querystring: AlarmListQuery, response: { 200: Type.Array(AlarmSchema), 400: ErrorResponse, ...denied } },
  }, async (req) => mod.book.query(req.query));

  app.get('/api/alarms/:id', {
    onRequest: readers,
    schema: { tags: ['alarms'], params: IdParams, response: { 200: AlarmSchema, 404: ErrorResponse, ...denied } },
  }, async (req) => {
    const a = await mod.book.get(req.params.id);
    if (!a) throw new HttpError(404, 'not_found', `no alarm ${req.params.id}`);
    return a;
  });

  app.post('/api/alarms/:id/ack', {
    onRequest: actors,
    schema: { tags: ['alarms'], description: 'Acknowledge (确认) once; 409 when already acknowledged or when `version` is stale.', params: IdParams, body: Type.Optional(AlarmActionBody), response: { 200: AlarmSchema, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req) => {
    const actor = actorOf(req.principal);
    const a = await mod.book.ack(req.params.id, actor, opts.now(), req.body?.version);
    await audit.record({ actor: actor.name, action: 'alarm.ack', target: String(a.id), detail: { type: a.type, entityId: a.entityId }, ts: opts.now() });
    return a;
  });

  app.post('/api/alarms/:id/clear', {
    onRequest: actors,
    schema: { tags: ['alarms'], description: 'Clear by hand; 409 when already cleared or when `version` is stale. A condition that still holds raises a new alarm.', params: IdParams, body: Type.Optional(AlarmActionBody), response: { 200: AlarmSchema, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req) => {
    const actor = actorOf(req.principal);
    const a = await mod.book.clear(req.params.id, actor, opts.now(), req.body?.version);
    await audit.record({ actor: actor.name, action: 'alarm.clear', target: String(a.id), detail: { type: a.type, entityId: a.entityId }, ts: opts.now() });
    return a;
  });

  app.get('/api/alarm-settings', {
    onRequest: readers,
    schema: { tags: ['alarms'], description: 'Rule thresholds and policies in force.', response: { 200: AlarmSettingsDoc, ...denied } },
  }, async () => mod.settingsRow());

  app.put('/api/alarm-settings', {
    onRequest: app.auth.requireRole('admin'),
    schema: { tags: ['alarms'], description: 'Replace the thresholds (admin). Takes effect on the next evaluation; 409 when `version` is not the current one.', body: PutAlarmSettingsBody, response: { 200: AlarmSettingsDoc, 400: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req) => {
    const actor = actorOf(req.principal);
    const before = mod.settingsRow();
    const row = await mod.updateSettings(req.body.settings, req.body.version, actor, opts.now());
    const changed = Object.keys(row.settings).filter((k) => JSON.stringify(row.settings[k as keyof typeof row.settings]) !== JSON.stringify(before.settings[k as keyof typeof before.settings]));
    await audit.record({ actor: actor.name, action: 'alarmSettings.update', target: 'alarm-settings', detail: { version: row.version, changed }, ts: opts.now() });
    return row;
  });
};
export default alarms;
