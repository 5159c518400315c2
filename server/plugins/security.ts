/** Secure defaults: security headers with a CSP that keeps every request on this origin, CORS closed unless configured, rate limits. */
import fp from 'fastify-plugin';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';

export default fp<{ corsOrigins: string[]; mapbox: boolean; basemapOrigins?: string[] }>(async (app, opts) => {
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
        connectSrc: ["'self'", 'ws:', 'wss:', ...mapboxHosts],
        upgradeInsecureRequests: null,
      },
    },
    // The wall may be shown on plain HTTP inside a private network.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  if (opts.corsOrigins.length > 0) await app.register(cors, { origin: opts.corsOrigins, credentials: false });
  await app.register(rateLimit, { global: false });
}, { name: 'security' });
