/**
 * 先锋驿站 — the pioneer posts of the party-building panel as a map layer: a red-gold star
 * marker with the post's name, added once; later calls only set its data.
 */
import type { GeoJSONSource, GeoJSONSourceSpecification } from 'maplibre-gl';
import type { PartyResponse } from '../../../shared/schemas/party.ts';
import type { GLMap } from '../engine.ts';

const SRC = 'pioneer-posts';

export interface PioneerPostLayer { setPosts(posts: PartyResponse['posts']): void }

const fc = (features: unknown[]) => ({ type: 'FeatureCollection', features }) as unknown as GeoJSONSourceSpecification['data'];

export function addPioneerPostLayer(map: GLMap): PioneerPostLayer {
  map.addSource(SRC, { type: 'geojson', data: fc([]) });
  map.addLayer({ id: 'pioneer-post-halo', type: 'circle', source: SRC, paint: { 'circle-radius': 13, 'circle-color': '#ff4d5e', 'circle-opacity': 0.25, 'circle-blur': 0.6 } });
  map.addLayer({ id: 'pioneer-post-dot', type: 'circle', source: SRC, paint: { 'circle-radius': 6.5, 'circle-color': '#e8282f', 'circle-stroke-color': '#ffd36b', 'circle-stroke-width': 2 } });
  map.addLayer({
    id: 'pioneer-post-label', type: 'symbol', source: SRC, minzoom: 12,
    layout: { 'text-field': ['get', 'name'], 'text-font': ['Noto Sans SC'], 'text-size': 12, 'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-optional': true },
    paint: { 'text-color': '#ffd36b', 'text-halo-color': '#020915', 'text-halo-width': 1.5 },
  });
  return {
    setPosts(posts) {
      (map.getSource(SRC) as GeoJSONSource | undefined)?.setData(fc(posts.map((p) => ({
        type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: { id: p.id, name: p.name },
      }))) as Parameters<GeoJSONSource['setData']>[0]);
    },
  };
}
