/**
 * GET /api/basemap: the citizen report page places its pin on this, with no login. It must hold
 * the geography a citizen needs (streets, roads) and nothing of the bureau's working data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { get } from 'node:http';
import { lixiaPack, startServer, type RunningServer } from './server-harness.ts';

let s: RunningServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

describe('GET /api/basemap (public)', () => {
  it('serves boundary, streets and roads without a login, and no grids, communities or fleet', async () => {
    const pack = await lixiaPack();
    const res = await fetch(`${s.url}/api/basemap`);
    expect(res.status).toBe(200);
    const d = (await res.json()) as Record<string, { features?: { properties: { name?: string } }[] } & Record<string, unknown>>;
    expect(d.meta!.name).toBe(pack.meta.name);
    expect(d.meta!.bbox).toEqual(pack.meta.bbox);
    expect(d.streets!.features!.map((f) => f.properties.name).sort()).toEqual(pack.streets.features.map((f) => f.properties.name).sort());
    expect(d.roads!.features).toHaveLength(pack.roads.features.length);
    expect(d.boundary!.features).toHaveLength(pack.boundary.features.length);
    expect(d.grids!.features).toEqual([]);
    expect(d.communities!.features).toEqual([]);
    for (const secret of ['staff', 'vehicles', 'muckTrucks', 'bins', 'toilets', 'roadGraph', 'organisations']) expect(d).not.toHaveProperty(secret);
  });

  it('answers 304 to its own ETag and sends gzip on the wire', async () => {
    const res = await fetch(`${s.url}/api/basemap`);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]{20}"$/);
    expect((await fetch(`${s.url}/api/basemap`, { headers: { 'if-none-match': etag! } })).status).toBe(304);
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      get(`${s.url}/api/basemap`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(raw.encoding).toBe('gzip');
    const unzipped = JSON.parse(gunzipSync(raw.body).toString()) as { meta: { id: string } };
    expect(unzipped.meta.id).toBe('lixia');
    // A phone's share: far below the full /api/district (grids alone are ~0.5 MB raw).
    expect(raw.body.byteLength).toBeLessThan(60_000);
  });
});
