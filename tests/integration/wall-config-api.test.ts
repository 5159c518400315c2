/** GET /api/config carries the configured basemap and wall settings; the page's CSP admits the tile hosts; a tour of unknown streets stops the start. */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './server-harness.ts';

describe('/api/config: basemap and wall', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('offline by default: the district pack\'s style, auto layout, no tour, no token', async () => {
    server = await startServer({ SIM_ENABLED: 'false', MAPBOX_ACCESS_TOKEN: 'pk.unused', MAP_BASEMAP: 'offline' });
    const res = await fetch(`${server.url}/api/config`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ basemap: { kind: 'offline', crs: 'WGS84' }, wall: { layout: 'auto', tour: [], tourS: 20, idleS: 120 } });
  });

  it('Tianditu: tiles with the key for the browser, its hosts in the CSP, the tour and layout as set', async () => {
    server = await startServer({
      SIM_ENABLED: 'false', MAP_BASEMAP: 'tianditu', TIANDITU_KEY: 'tdtkey000111',
      WALL_LAYOUT: 'wide', WALL_TOUR: '370102004,370102012', WALL_TOUR_S: '15', WALL_IDLE_S: '60',
    });
    const res = await fetch(`${server.url}/api/config`);
    const body = (await res.json()) as { basemap: { kind: string; tiles: string[]; labelTiles: string[] }; wall: unknown; mapboxAccessToken?: string };
    expect(body.basemap.kind).toBe('tianditu');
    expect(body.basemap.tiles[3]).toMatch(/^https:\/\/t3\.tianditu\.gov\.cn\/vec_w\/wmts\?.*&tk=tdtkey000111$/);
    expect(body.basemap.labelTiles[3]).toMatch(/^https:\/\/t3\.tianditu\.gov\.cn\/cva_w\/wmts\?.*LAYER=cva/);
    expect(body.wall).toEqual({ layout: 'wide', tour: ['370102004', '370102012'], tourS: 15, idleS: 60 });
    expect(body.mapboxAccessToken).toBeUndefined();
    const page = await fetch(`${server.url}/wall`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/connect-src [^;]*https:\/\/t0\.tianditu\.gov\.cn/);
    expect(csp).toMatch(/img-src [^;]*https:\/\/t7\.tianditu\.gov\.cn/);
  });

  it('refuses to start with a tour street the district does not have, naming it', async () => {
    await expect(startServer({ SIM_ENABLED: 'false', WALL_TOUR: '370102004,370199999' })).rejects.toThrow(/WALL_TOUR: 370199999 is not a street of/);
  });
});
