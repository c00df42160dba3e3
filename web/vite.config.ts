/**
 * The console build: one HTML page, its JS and CSS bundled and hashed under web/dist. Nothing is
 * loaded from another origin (the CSP in local/console-site.ts and infra/constructs/console-site.ts
 * allows 'self' only), so every dependency is bundled here.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill is an inline script: the CSP allows none.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
});
