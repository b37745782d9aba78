import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { ProxyOptions } from 'vite';

/** The engine `vite dev` proxies to: `trainwatch serve` on its default port. */
const ENGINE = 'http://127.0.0.1:9478';

/**
 * The engine refuses a Host or Origin that is not its own (DNS-rebinding and cross-site
 * defences, electron/engine/http/security.ts), so the dev proxy presents itself as a
 * non-browser client: Host rewritten by changeOrigin, Origin dropped.
 */
const toEngine: ProxyOptions = {
  target: ENGINE,
  changeOrigin: true,
  configure: (proxy) => {
    proxy.on('proxyReq', (req) => req.removeHeader('origin'));
  },
};

export default defineConfig({
  root: 'renderer',
  // Relative asset URLs, so the same build works from the engine at `/` and from a file URL.
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': toEngine,
      '/metrics': toEngine,
    },
  },
});
