/**
 * The device registry over HTTP (shared/schemas/devices.ts): list, add, accept or reject a
 * quarantined terminal, bind, disable, enable, remove. Admin only; every change is audited.
 */
import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AcceptDeviceBody, BindDeviceBody, CreateDeviceBody, DeviceList, DeviceListQuery, DeviceView,
} from '../../shared/schemas/devices.ts';
import { ErrorResponse, IdParams } from '../../shared/schemas/http.ts';
import { HttpError } from '../http-error.ts';
import { deviceView, listDevices } from '../devices/device-view.ts';
import type { DeviceRecord } from '../devices/device-directory.ts';

const devices: FastifyPluginAsyncTypebox = async (app) => {
  const directory = app.deviceDirectory;
  const adminOnly = app.auth.requireRole('admin');
  const denied = { 401: ErrorResponse, 403: ErrorResponse };
  const changed = { 200: DeviceView, 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, ...denied };
  const view = (d: DeviceRecord) => deviceView(d, directory, app.live);
  const audit = (actor: string, action: string, d: DeviceRecord, detail?: object) =>
    app.store.audit.record({ actor, action: `device.${action}`, target: `${d.protocol}:${d.deviceId}`, detail: { id: d.id, entityId: d.entityId, ...detail } });

  app.get('/api/devices', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], querystring: DeviceListQuery, response: { 200: DeviceList, 400: ErrorResponse, ...denied } },
  }, async (req) => ({ ...listDevices(directory, app.live, req.query), timeZone: app.district.pack.meta.timezone }));

  app.get('/api/devices/:id', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], params: IdParams, response: { 200: DeviceView, 404: ErrorResponse, ...denied } },
  }, async (req) => {
    const d = directory.get(req.params.id);
    if (!d) throw new HttpError(404, 'not_found', `no device ${req.params.id}`);
    return view(d);
  });

  app.post('/api/devices', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], body: CreateDeviceBody, response: { ...changed, 201: DeviceView } },
  }, async (req, reply) => {
    const d = await directory.create(req.body.protocol, req.body.deviceId, req.body.bind, req.body.label ?? null);
    await audit(req.principal!.name, 'create', d, { bind: req.body.bind });
    return reply.status(201).send(view(d));
  });

  app.post('/api/devices/:id/accept', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], params: IdParams, body: Type.Optional(AcceptDeviceBody), response: changed },
  }, async (req) => {
    const d = await directory.accept(req.params.id, req.body?.bind);
    await audit(req.principal!.name, 'accept', d);
    return view(d);
  });

  app.post('/api/devices/:id/bind', {
    onRequest: adminOnly, schema: { tags: ['devices'], params: IdParams, body: BindDeviceBody, response: changed },
  }, async (req) => {
    const d = await directory.bind(req.params.id, req.body.bind);
    await audit(req.principal!.name, 'bind', d, { bind: req.body.bind });
    return view(d);
  });

  // The state changes without a body: reject a quarantined terminal, disable, enable.
  const stateChanges = { reject: (id: number) => directory.reject(id), disable: (id: number) => directory.disable(id), enable: (id: number) => directory.enable(id) };
  for (const [action, change] of Object.entries(stateChanges)) {
    app.post(`/api/devices/:id/${action}`, { onRequest: adminOnly, schema: { tags: ['devices'], params: IdParams, response: changed } }, async (req) => {
      const d = await change(req.params.id);
      await audit(req.principal!.name, action, d);
      return view(d);
    });
  }

  app.delete('/api/devices/:id', {
    onRequest: adminOnly,
    schema: { tags: ['devices'], params: IdParams, response: { 204: Type.Null(), 404: ErrorResponse, 409: ErrorResponse, ...denied } },
  }, async (req, reply) => {
    const d = await directory.remove(req.params.id);
    await audit(req.principal!.name, 'remove', d);
    return reply.status(204).send(null);
  });
};
export default devices;
