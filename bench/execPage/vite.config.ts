/** Build of the execution bench page (bench/execPage) into bench/out/exec-page. */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  worker: { format: 'es' },
  // no modulepreload polyfill: onnxruntime's thread workers load the page's own chunk, where `document` is undefined
  build: { target: 'es2022', modulePreload: { polyfill: false }, outDir: fileURLToPath(new URL('../out/exec-page', import.meta.url)), emptyOutDir: true, chunkSizeWarningLimit: 4000 },
});
