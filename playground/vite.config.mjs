// Vite config of the playground: `npm run playground` serves it, `npm run playground:build`
// writes a static site to playground/dist (relative URLs, so it can be hosted under any path).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
// Cross-origin isolation, so that the page gets SharedArrayBuffer (threaded WebAssembly needs it).
// Everything the page loads is same-origin, so require-corp costs nothing here. Any static host of
// playground/dist should send the same two headers (see the README's Playground section).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: here,
  base: './',
  publicDir: 'public',
  worker: { format: 'es' },
  // Not minified: Stride names layers and models by their class names (summaries, saved files),
  // which a minifier would mangle.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    chunkSizeWarningLimit: 4096,
    // index.html is the playground; bench.html is the in-browser benchmark page (bench/browser-lenet.mjs).
    rollupOptions: { input: { index: join(here, 'index.html'), bench: join(here, 'bench.html') } },
  },
  server: { fs: { allow: [dirname(here)] }, headers: isolation },
  preview: { headers: isolation },
});
