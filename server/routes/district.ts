import { Type } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { publicBasemap } from '../district/load-pack.ts';
import type { Config } from '../config.ts';
import { clientBasemap } from '../district/basemap.ts';
import { ClientConfigResponse, EntitiesQuery, EntitySchema, ErrorResponse } from '../../shared/schemas/http.ts';

/** District geometry for the basemap, the current entities, and the public client configuration. */
const district: FastifyPluginAsyncTypebox<{ map: Config['map']; wall: Config['wall'] }> = async (app, opts) => {
  const { map, wall } = opts;
  const config: ClientConfigResponse = {
    // The Mapbox token reaches the client only when Mapbox draws the map.
    ...(map.basemap === 'mapbox' && map.mapboxAccessToken ? { mapboxAccessToken: map.mapboxAccessToken } : {}),
    ...(map.styleUrl ? { mapStyleUrl: map.styleUrl } : {}),
    ...(map.basemap === 'mapbox' && map.mapboxApiUrl ? { mapboxApiUrl: map.mapboxApiUrl } : {}),
    basemap: clientBasemap(map),
    wall,
  };
  app.get('/api/config', {
    config: { rateLimit: { max: 120, timeWindow: '1 minute' } },
    schema: {
      tags: ['system'], security: [],
      description: 'Public client configuration: the basemap (MAP_BASEMAP, its tiles and CRS), the wall\'s layout and idle tour (WALL_LAYOUT, WALL_TOUR, WALL_TOUR_S, WALL_IDLE_S).',
      response: { 200: ClientConfigResponse },
    },
  }, async () => config);

  app.get('/api/district', {
    onRequest: app.auth.requireRole(),
    schema: {
      tags: ['district'],
      description: 'District pack metadata and geometry (boundary, streets, communities, grids, roads, water, parks, landmarks) as GeoJSON.',
      response: { 200: Type.Object({}, { additionalProperties: true }), 304: Type.Null(), 401: ErrorResponse },
    },
  }, async (req, reply) => {
    const d = app.district;
    reply.header('etag', d.etag).header('cache-control', 'private, no-cache').type('application/json; charset=utf-8');
    if (req.headers['if-none-match'] === d.etag) return reply.status(304).send(null);
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').header('vary', 'accept-encoding').send(d.geometryGzip);
    return reply.send(d.geometryJson);
  });

  // Serialised once: the pack does not change while the server runs.
  const basemapJson = Buffer.from(JSON.stringify(publicBasemap(app.district.pack)));
  const basemapGzip = gzipSync(basemapJson, { level: 9 });
  const basemapEtag = `"${createHash('sha1').update(basemapJson).digest('hex').slice(0, 20)}"`;
  app.get('/api/basemap', {
    config: { rateLimit: { max: 60, timeWindow: '1 minute' } },
    schema: {
      tags: ['district'],
      security: [],
      description: 'The public basemap for the citizen report page (no login): district metadata, boundary, street areas, roads, water, parks and landmarks as GeoJSON; communities and grids empty.',
      response: { 200: Type.Object({}, { additionalProperties: true }), 304: Type.Null() },
    },
  }, async (req, reply) => {
    reply.header('etag', basemapEtag).header('cache-control', 'public, no-cache').header('vary', 'accept-encoding').type('application/json; charset=utf-8');
    if (req.headers['if-none-match'] === basemapEtag) return reply.status(304).send(null);
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(basemapGzip);
    return reply.send(basemapJson);
  });

  app.get('/api/entities', {
    onRequest: app.auth.requireRole(),
    schema: {
      tags: ['live'],
      description: 'Current state of the entities, filtered by kind and street (9-digit code).',
      querystring: EntitiesQuery,
      response: { 200: Type.Array(EntitySchema), 400: ErrorResponse, 401: ErrorResponse },
    },
  }, async (req) => {
    const { kind, street } = req.query;
    return app.live.all()
      .filter((e) => (kind === undefined || e.kind === kind) && (street === undefined || e.orgCode === street))
      .map(({ index: _i, attrsVersion: _a, ...e }) => e);
  });
};
export default district;
