import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const serverPort = Number(process.env.PORT ?? 8080);

// The client lives in client/; the server serves dist/client in production.
export default defineConfig({
  root: 'client',
  publicDir: 'public',
  plugins: [vue()],
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
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
      { extends: false, test: { name: 'unit', root: '.', include: ['tests/unit/**/*.test.ts'], environment: 'node' } },
      { extends: false, test: { name: 'integration', root: '.', include: ['tests/integration/**/*.test.ts'], environment: 'node', testTimeout: 30_000, hookTimeout: 60_000 } },
      { extends: false, test: { name: 'e2e', root: '.', include: ['tests/e2e/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false } },
    ],
  },
});
