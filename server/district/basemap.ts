/**
 * The basemap the configuration chose, as the client draws it: provider tile URL templates
 * expanded into the per-server URLs maplibre fetches, with the key filled in. The key goes
 * to the browser (Tianditu's and Amap's browser keys are meant to: they are bound to the
 * wall's domain at the provider), never into a log line.
 */
import type { ClientBasemap } from '../../shared/basemap.ts';
import type { Config } from '../config.ts';

const TIANDITU_SERVERS = ['0', '1', '2', '3', '4', '5', '6', '7'];
/** Amap's webrd01–04; a template without {s} names one server. */
const GCJ02_SERVERS = ['1', '2', '3', '4'];

function expand(template: string, servers: string[], vars: Record<string, string>): string[] {
  let t = template;
  for (const [k, v] of Object.entries(vars)) t = t.split(`{${k}}`).join(encodeURIComponent(v));
  t = t.split('{-y}').join('{y}');
  return t.includes('{s}') ? servers.map((s) => t.split('{s}').join(s)) : [t];
}

export function clientBasemap(map: Config['map']): ClientBasemap {
  switch (map.basemap) {
    case 'offline':
      return { kind: 'offline', crs: 'WGS84' };
    case 'mapbox':
      return { kind: 'mapbox', crs: 'WGS84' };
    case 'tianditu': {
      const tk = map.tiandituKey ?? '';
      return {
        kind: 'tianditu',
        // CGCS2000 and WGS-84 differ by a few centimetres: the overlays need no shift.
        crs: 'WGS84',
        tiles: expand(map.tiandituTileUrl, TIANDITU_SERVERS, { layer: 'vec', tk }),
        labelTiles: expand(map.tiandituTileUrl, TIANDITU_SERVERS, { layer: 'cva', tk }),
        attribution: '天地图 · 国家地理信息公共服务平台',
      };
    }
    case 'gcj02': {
      const template = map.gcj02TileUrl ?? '';
      return {
        kind: 'gcj02',
        crs: 'GCJ02',
        tiles: expand(template, GCJ02_SERVERS, {}),
        ...(template.includes('{-y}') ? { scheme: 'tms' as const } : {}),
        attribution: `GCJ-02 · ${new URL(template.replace(/\{[^}]*\}/g, '0')).hostname}`,
      };
    }
  }
}

/** Origins the wall's Content-Security-Policy must let it fetch tiles and styles from. */
export function basemapOrigins(map: Config['map']): string[] {
  const b = clientBasemap(map);
  const urls = [...(b.tiles ?? []), ...(b.labelTiles ?? []), ...(map.basemap === 'mapbox' ? [map.styleUrl, map.mapboxApiUrl].filter((u): u is string => !!u) : [])];
  const origins = new Set<string>();
  for (const u of urls) {
    try {
      origins.add(new URL(u.replace(/\{[^}]*\}/g, '0')).origin);
    } catch {
      // mapbox:// style URLs are resolved by mapbox-gl against api.mapbox.com, which the Mapbox hosts cover.
    }
  }
  return [...origins];
}
