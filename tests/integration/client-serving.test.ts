import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { liveClient, once, startServer, type RunningServer } from './server-harness.ts';

/** A built client as Vite leaves it: index.html, fingerprinted assets with .br beside them. */
const clientRoot = mkdtempSync(join(tmpdir(), 'cityops-client-'));
const script = 'console.log("wall");'.repeat(50);
mkdirSync(join(clientRoot, 'assets'));
writeFileSync(join(clientRoot, 'index.html'), '<!doctype html><html><head><script type="module" crossorigin src="/assets/index-T3ST.js"></script></head><body></body></html>');
writeFileSync(join(clientRoot, 'assets/index-T3ST.js'), script);
writeFileSync(join(clientRoot, 'assets/index-T3ST.js.br'), brotliCompressSync(Buffer.from(script)));

let s: RunningServer;
beforeAll(async () => {
  s = await startServer({ SIM_ENABLED: 'false' }, undefined, clientRoot);
});
afterAll(async () => {
  await s?.close();
  rmSync(clientRoot, { recursive: true, force: true });
});

function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving the built client', () => {
  it('answers every screen route with index.html, never cached', async () => {
    for (const path of ['/', '/wall?token=abc', '/login', '/briefing/some/deep/link']) {
      const r = await raw(path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toMatch(/text\/html/);
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body.toString()).toContain('/assets/index-T3ST.js');
    }
    expect((await raw('/wall', {}, 'HEAD')).status).toBe(200);
  });

  it('sends fingerprinted assets precompressed and cached for good', async () => {
    const br = await raw('/assets/index-T3ST.js', { 'accept-encoding': 'br, gzip' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.body.byteLength).toBeLessThan(script.length / 4);
    const plain = await raw('/assets/index-T3ST.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(script);
  });

  it('does not pass a missing asset or API route off as the app', async () => {
    const missing = await raw('/assets/index-GONE.js');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString())).toEqual({ error: { code: 'not_found', message: 'GET /assets/index-GONE.js not found' } });
    expect((await raw('/api/nope')).status).toBe(404);
    expect((await raw('/wall', {}, 'DELETE')).status).toBe(404);
  });

  it('tells the live stream which client build it serves', async () => {
    const c = liveClient(s.url, s.firstStart!.wallToken);
    const snap = await once<{ clientBuild?: string }>((ok) => c.once('live:snapshot', ok), 15_000, 'snapshot');
    c.close();
    expect(snap.clientBuild).toBe('/assets/index-T3ST.js');
  });
});
