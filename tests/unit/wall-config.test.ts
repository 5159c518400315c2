/** The wall's and the basemap's settings: defaults, refusals naming the key, keys never printed. */
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../server/config.ts';

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
};

describe('wall settings', () => {
  it('defaults: auto layout, no tour, 20 s a street after 120 s idle', () => {
    expect(loadConfig({}).wall).toEqual({ layout: 'auto', tour: [], tourS: 20, idleS: 120 });
    expect(loadConfig({ WALL_LAYOUT: 'wide', WALL_TOUR: '370102004,370102001', WALL_TOUR_S: '30', WALL_IDLE_S: '5' }).wall)
      .toEqual({ layout: 'wide', tour: ['370102004', '370102001'], tourS: 30, idleS: 5 });
  });

  it('refuses bad values by name', () => {
    expect(refusal({ WALL_LAYOUT: 'ultra' })).toMatch(/WALL_LAYOUT="ultra"/);
    expect(refusal({ WALL_TOUR: '370102004;370102001' })).toMatch(/WALL_TOUR=/);
    expect(refusal({ WALL_TOUR: '3701' })).toMatch(/WALL_TOUR="3701"/);
    expect(refusal({ WALL_TOUR_S: '2' })).toMatch(/WALL_TOUR_S=2: must be 5..3600/);
    expect(refusal({ WALL_IDLE_S: 'soon' })).toMatch(/WALL_IDLE_S="soon"/);
  });
});

describe('basemap settings', () => {
  it('each provider needs its own setting, and says which', () => {
    expect(refusal({ MAP_BASEMAP: 'tianditu' })).toMatch(/TIANDITU_KEY: required with MAP_BASEMAP=tianditu/);
    expect(refusal({ MAP_BASEMAP: 'gcj02' })).toMatch(/GCJ02_TILE_URL: required with MAP_BASEMAP=gcj02/);
    expect(refusal({ MAP_BASEMAP: 'mapbox' })).toMatch(/MAPBOX_ACCESS_TOKEN: required with MAP_BASEMAP=mapbox/);
    expect(refusal({ MAP_BASEMAP: 'google' })).toMatch(/MAP_BASEMAP="google"/);
    expect(refusal({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'https://tiles.example/{z}/{x}.png' })).toMatch(/GCJ02_TILE_URL=.*must contain \{y\}/);
    expect(refusal({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'ftp://tiles.example/{z}/{x}/{y}.png' })).toMatch(/GCJ02_TILE_URL=/);
    // A self-hosted Tianditu mirror without {tk} needs no key.
    expect(loadConfig({ MAP_BASEMAP: 'tianditu', TIANDITU_TILE_URL: 'http://127.0.0.1:9/{layer}/{z}/{x}/{y}.png' }).map.basemap).toBe('tianditu');
  });

  it('never prints a key: not the Tianditu key, not one inside a tile URL, not in a refusal', () => {
    const c = loadConfig({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'https://tiles.example/{z}/{x}/{y}.png?key=amapsecret123', TIANDITU_KEY: 'tdtsecret12345' });
    const printed = JSON.stringify(describeConfig(c));
    expect(printed).not.toMatch(/amapsecret123|tdtsecret12345/);
    expect(printed).toMatch(/key=\*\*\*/);
    const msg = refusal({ MAP_BASEMAP: 'gcj02', GCJ02_TILE_URL: 'https://tiles.example/{z}/{x}.png?key=amapsecret123' });
    expect(msg).not.toMatch(/amapsecret123/);
    expect(refusal({ TIANDITU_KEY: 'bad key!' })).not.toMatch(/bad key/);
  });
});
