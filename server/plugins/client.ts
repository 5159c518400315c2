/** Serves the built client (dist/client) with a fallback to index.html for the screens' routes. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import fp from 'fastify-plugin';
import type { FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * The client build on disk: the path of index.html's entry script, which carries Vite's
 * content hash. Re-read when index.html changes, so a rebuild is noticed without a restart.
 */
export function clientBuildReader(root: string): () => string | undefined {
  const index = resolve(root, 'index.html');
  let cachedMtime = -1;
  let cached: string | undefined;
  return () => {
    let mtime: number;
    try {
      mtime = statSync(index).mtimeMs;
    } catch {
      return undefined;
    }
    if (mtime !== cachedMtime) {
      cachedMtime = mtime;
      cached = /<script[^>]+type="module"[^>]+src="([^"]+)"/.exec(readFileSync(index, 'utf8'))?.[1];
    }
    return cached;
  };
}

export default fp<{ root: string }>(async (app, opts) => {
  const root = resolve(opts.root);
  const built = existsSync(resolve(root, 'index.html'));
  if (built) {
    // wildcard: files are looked up per request, so a rebuilt client is served without a restart.
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: true,
      index: false,
      // The build writes .br/.gz beside each asset (vite.config.ts).
      preCompressed: true,
      cacheControl: false,
      setHeaders(reply, path) {
        // Vite fingerprints everything under assets/: cache it for good; everything else is revalidated.
        reply.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  const serveIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html');
  if (built) app.get('/', { schema: { hide: true } }, (_req, reply) => serveIndex(reply));
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || path.startsWith('/api/') || path.startsWith('/socket.io') || /\.[a-z0-9]+$/i.test(path)) {
      return reply.status(404).send({ error: { code: 'not_found', message: `${req.method} ${path} not found` } });
    }
    if (!built) {
      return reply.status(503).type('text/plain; charset=utf-8').send('The client is not built yet: run `npm run build` (npm start does it for you).');
    }
    return serveIndex(reply);
  });
}, { name: 'client' });
