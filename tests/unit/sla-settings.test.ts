import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DEFAULT_SLA_SETTINGS } from '../../shared/sla.ts';
import type { Role } from '../../shared/roles.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';
import errors from '../../server/plugins/errors.ts';
import store from '../../server/plugins/store.ts';
import auth from '../../server/plugins/auth.ts';
import domainEvents from '../../server/plugins/domain-events.ts';
import sla from '../../server/plugins/sla.ts';
import { FakeCases, tempDir } from './sla-harness.ts';

const NOW = Date.parse('2026-09-18T15:00:00+08:00');
let app: FastifyInstance;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  // The same validator options as server/app.ts: unknown properties are refused, not stripped.
  app = Fastify({ logger: false, ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false } } }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(errors);
  await app.register(store, { dataDir: tempDir() });
  await app.register(auth);
  await app.register(domainEvents);
  await app.register(sla, { now: () => NOW, dayMode: 'working', timeZone: 'Asia/Shanghai', cases: () => new FakeCases().port() });
  await app.ready();
  for (const role of ['wall', 'dispatcher', 'leader', 'admin'] as const) {
    const id = await app.store.access.createUser(`${role}-1`, 'not-a-real-hash', role);
    await app.store.access.createSession(`token-${role}`, id, 3_600_000);
    tokens[role] = `token-${role}`;
  }
});
afterAll(async () => app.close());

const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

describe('GET /api/sla-settings', () => {
  it('gives the defaults, with the day mode from SLA_DAY_MODE, to the duty desk, leaders and admins', async () => {
    for (const role of ['dispatcher', 'leader', 'admin'] as const) {
      const res = await app.inject({ url: '/api/sla-settings', headers: as(role) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ...DEFAULT_SLA_SETTINGS, dayMode: 'working' });
    }
  });

  it('refuses walls (403) and anonymous callers (401)', async () => {
    expect((await app.inject({ url: '/api/sla-settings', headers: as('wall') })).statusCode).toBe(403);
    expect((await app.inject({ url: '/api/sla-settings' })).statusCode).toBe(401);
  });
});

describe('PUT /api/sla-settings', () => {
  const valid = { ...DEFAULT_SLA_SETTINGS, arrivalMin: 10, closureDays: { small: 2, big: 3, hard: 5 }, warnLeadShare: 0.25 };

  it('is for admins only', async () => {
    const res = await app.inject({ method: 'PUT', url: '/api/sla-settings', headers: as('dispatcher'), payload: valid });
    expect(res.statusCode).toBe(403);
  });

  it('refuses malformed settings with 400 and leaves the stored ones alone', async () => {
    const bad = [
      { ...valid, warnLeadShare: 1.5 },
      { ...valid, closureDays: { small: 0, big: 2, hard: 3 } },
      { ...valid, closureDays: { small: 1.5, big: 2, hard: 3 } },
      { ...valid, dayMode: 'weekly' },
      { ...valid, surprise: true },
      { arrivalMin: 7 },
    ];
    for (const payload of bad) {
      const res = await app.inject({ method: 'PUT', url: '/api/sla-settings', headers: as('admin'), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('bad_request');
    }
    expect((await app.inject({ url: '/api/sla-settings', headers: as('admin') })).json().arrivalMin).toBe(7);
  });

  it('stores valid settings and audits the change with before and after', async () => {
    const res = await app.inject({ method: 'PUT', url: '/api/sla-settings', headers: as('admin'), payload: valid });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(valid);
    expect((await app.inject({ url: '/api/sla-settings', headers: as('leader') })).json()).toEqual(valid);
    const entry = (await app.store.audit.recent(5)).find((a) => a.action === 'slaSettings.update');
    expect(entry?.actor).toBe('admin-1');
    expect(JSON.parse(entry!.detail!)).toMatchObject({ before: { arrivalMin: 7 }, after: { arrivalMin: 10 } });
    expect(await app.slaSettings.get()).toEqual(valid);
  });
});

describe('SLA_DAY_MODE', () => {
  it('defaults to calendar days and accepts working', () => {
    expect(loadConfig({}).sla.dayMode).toBe('calendar');
    expect(loadConfig({ SLA_DAY_MODE: 'working' }).sla.dayMode).toBe('working');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ SLA_DAY_MODE: 'weekly' })).toThrow(ConfigError);
    expect(() => loadConfig({ SLA_DAY_MODE: 'weekly' })).toThrow(/SLA_DAY_MODE="weekly"/);
  });
});
