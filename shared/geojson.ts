/** The small GeoJSON subset the district pack uses (RFC 7946, WGS-84 lon/lat). */
export type LonLat = [number, number];

export interface PointGeometry { type: 'Point'; coordinates: LonLat }
export interface LineStringGeometry { type: 'LineString'; coordinates: LonLat[] }
export interface PolygonGeometry { type: 'Polygon'; coordinates: LonLat[][] }
export interface MultiPolygonGeometry { type: 'MultiPolygon'; coordinates: LonLat[][][] }
export type Geometry = PointGeometry | LineStringGeometry | PolygonGeometry | MultiPolygonGeometry;

export interface Feature<G extends Geometry = Geometry, P = Record<string, unknown>> {
  type: 'Feature';
  id?: string | number;
  geometry: G;
  properties: P;
}

export interface FeatureCollection<G extends Geometry = Geometry, P = Record<string, unknown>> {
  type: 'FeatureCollection';
  features: Feature<G, P>[];
}
