import { defineConfig } from 'vite';

// The hub serves dist/ under a Content-Security-Policy of default-src 'self': the build must emit
// only external scripts and stylesheets (no inline <script>, <style> or style="" in index.html).
// `npm run dev` proxies /api to a running hub (MAMORI_HUB, default http://127.0.0.1:8080).
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be injected as code for old browsers; every supported browser has
    // modulepreload.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { '/api': { target: process.env.MAMORI_HUB ?? 'http://127.0.0.1:8080' } },
  },
});
