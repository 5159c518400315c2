/**
 * An id beyond 2^53 in any route names no row: 404 on both stores, and an audit cursor beyond
 * every id pages from the newest. (PostgreSQL refuses such a BIGINT parameter: before the check in
 * server/plugins/errors.ts these answered 500 there and 404 on SQLite.) Run on both stores by CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, login } from './ops-http.ts';
import { startServer, type RunningServer } from './server-harness.ts';

const ADMIN_PASSWORD = 'ids-beyond-range-admin-1';
const BIG = '99999999999999999999';
let s: RunningServer;
let admin: string;

beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false', ADMIN_PASSWORD });
  admin = await login(s.url, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => { await s?.close(); });

describe('ids beyond 2^53', () => {
  it('answer 404 not_found on every kind of route, never 500', async () => {
    const tries: ['GET' | 'POST' | 'DELETE', string, unknown?][] = [
      ['DELETE', `/api/display-tokens/${BIG}`], ['DELETE', `/api/ingest-keys/${BIG}`], ['DELETE', `/api/open311-keys/${BIG}`], ['DELETE', `/api/devices/${BIG}`],
      ['GET', `/api/devices/${BIG}`], ['GET', `/api/cases/${BIG}`], ['GET', `/api/cases/${BIG}/reporter`], ['GET', `/api/alarms/${BIG}`], ['GET', `/api/replay/case/${BIG}`],
      ['POST', `/api/cases/${BIG}/requests/${BIG}/decision`, { approve: true }], ['POST', `/api/alarms/${BIG}/ack`, {}], ['POST', `/api/devices/${BIG}/accept`, {}],
    ];
    const answers = [];
    for (const [method, url, body] of tries) {
      const r = await call(s.url, admin, method, url, body);
      answers.push(`${method} ${url.replaceAll(BIG, 'BIG')} → ${r.status} ${(r.json as { error?: { code?: string } } | null)?.error?.code ?? ''}`);
    }
    expect(answers).toEqual(tries.map(([method, url]) => `${method} ${url.replaceAll(BIG, 'BIG')} → 404 not_found`));
  });

  it('still asks who calls first: an anonymous caller gets 401, not 404', async () => {
    expect((await call(s.url, undefined, 'DELETE', `/api/ingest-keys/${BIG}`)).status).toBe(401);
  });

  it('pages the audit log from the newest for a cursor beyond every id', async () => {
    const r = await call(s.url, admin, 'GET', `/api/audit?before=${BIG}&limit=5`);
    expect(r.status).toBe(200);
    const newest = await call(s.url, admin, 'GET', '/api/audit?limit=5');
    expect(r.json).toEqual(newest.json);
  });
});
