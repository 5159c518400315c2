import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

const serverPort = Number(process.env.PORT ?? 8080);

/**
 * Writes .br and .gz beside every script, style and worker of the build: the server sends
 * them precompressed (@fastify/static preCompressed), so a wall downloads ~¼ of the bytes
 * with no compression work per request.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'cityops-precompress',
    apply: 'build',
    configResolved(c) {
      outDir = resolve(c.root, c.build.outDir);
    },
    closeBundle() {
      const assets = join(outDir, 'assets');
      for (const f of readdirSync(assets)) {
        if (!/\.(m?js|css|svg|json)$/.test(f)) continue;
        const body = readFileSync(join(assets, f));
        writeFileSync(join(assets, `${f}.gz`), gzipSync(body, { level: 9 }));
        writeFileSync(join(assets, `${f}.br`), brotliCompressSync(body));
      }
    },
  };
}

// The client lives in client/; the server serves dist/client in production.
export default defineConfig({
  root: 'client',
  publicDir: 'public',
  plugins: [vue(), precompress()],
  // The browser tests' window.__cityops hooks: only in a build made with CITYOPS_TEST_HOOKS=1
  // (scripts/build.mjs from the e2e harness and the benchmarks); false elsewhere, so the
  // production bundle does not contain them.
  define: { __CITYOPS_TEST_HOOKS__: JSON.stringify(process.env.CITYOPS_TEST_HOOKS === '1') },
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    // mapbox-gl (1.9 MB) is a vendor chunk loaded only with a Mapbox token.
    chunkSizeWarningLimit: 2000,
  },
  // maplibre-gl's worker fails to load when Vite pre-bundles it in dev (seen here).
  optimizeDeps: { exclude: ['maplibre-gl'] },
  server: {
    port: 5173,
    // These paths belong to the server; no folder at the top of client/ may share their names.
    proxy: {
      '/api': `http://127.0.0.1:${serverPort}`,
      '/docs': `http://127.0.0.1:${serverPort}`,
      '/open311': `http://127.0.0.1:${serverPort}`,
      '/socket.io': { target: `ws://127.0.0.1:${serverPort}`, ws: true },
    },
  },
  test: {
    projects: [
      { root: repoRoot, test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      { root: repoRoot, test: { name: 'integration', include: ['tests/integration/**/*.test.ts'], environment: 'node', testTimeout: 30_000, hookTimeout: 60_000 } },
      { root: repoRoot, test: { name: 'e2e', include: ['tests/e2e/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false } },
    ],
  },
});
