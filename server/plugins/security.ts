/**
 * Secure defaults: security headers with a CSP that keeps every request on this origin, CORS
 * closed unless configured, rate limits. Referrer-Policy: no-referrer, because a wall's page
 * URL carries its display token (/wall?token=…): a link followed or a tile fetched from that
 * page must not send it to another server in the Referer header.
 */
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';

/**
 * The live socket's origin as CSP source: PUBLIC_URL's host with ws/wss. Browsers that follow
 * CSP 3 match same-origin WebSockets with 'self' already; the explicit entry covers the rest.
 * Without PUBLIC_URL (development) 'self' alone: never every ws: host, which would let an
 * injected script stream data anywhere.
 */
export function liveSocketOrigin(publicUrl: string | undefined): string[] {
  if (!publicUrl) return [];
  const url = new URL(publicUrl);
  return [`${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`];
}

export default fp<{ corsOrigins: string[]; mapbox: boolean; basemapOrigins?: string[]; publicUrl?: string | undefined }>(async (app, opts) => {
  // The configured basemap's tile servers (MAP_BASEMAP), and Mapbox's own hosts with Mapbox.
  const mapboxHosts = [...(opts.mapbox ? ['https://api.mapbox.com', 'https://*.tiles.mapbox.com', 'https://events.mapbox.com'] : []), ...(opts.basemapOrigins ?? [])];
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // maplibre/mapbox run their workers from blob: URLs.
        workerSrc: ["'self'", 'blob:'],
        childSrc: ["'self'", 'blob:'],
        imgSrc: ["'self'", 'data:', 'blob:', ...mapboxHosts],
        styleSrc: ["'self'", "'unsafe-inline'", ...mapboxHosts],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...liveSocketOrigin(opts.publicUrl), ...mapboxHosts],
        upgradeInsecureRequests: null,
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // The wall may be shown on plain HTTP inside a private network.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  if (opts.corsOrigins.length > 0) await app.register(cors, { origin: opts.corsOrigins, credentials: false });
  await app.register(rateLimit, { global: false });
}, { name: 'security' });
