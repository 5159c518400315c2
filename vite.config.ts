import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

const serverPort = Number(process.env.PORT ?? 8080);

// The client lives in client/; the server serves dist/client in production.
export default defineConfig({
  root: 'client',
  publicDir: 'public',
  plugins: [vue()],
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
    proxy: {
      '/api': `http://127.0.0.1:${serverPort}`,
      '/docs': `http://127.0.0.1:${serverPort}`,
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
