/**
 * The web UI's build: `vite build web` writes web/dist, which the admin server serves at `/` under a strict
 * Content-Security-Policy (no inline scripts or styles), so nothing may be inlined into index.html.
 */
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [preact({ devToolsEnabled: false, prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Never inline assets as data: URLs into CSS or JS: everything is a file served by the admin server.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `vite web` during development: the API comes from a running gateway's admin server.
    proxy: { '/v1': process.env.SESSIONGATE_ADMIN ?? 'http://127.0.0.1:8989' },
  },
});
