/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

/**
 * Writes the build's file list and a content hash into dist/sw.js (public/sw.js holds placeholders):
 * the service worker precaches exactly these files, names its cache after the hash, and, because its
 * own bytes change with every different build, browsers install the new worker after a deploy.
 */
function serviceWorkerManifest(): Plugin {
  let outDir = 'dist';
  return {
    name: 'qonnx-studio-sw-manifest',
    apply: 'build',
    configResolved(c) {
      outDir = resolve(c.root, c.build.outDir);
    },
    closeBundle() {
      const swPath = join(outDir, 'sw.js');
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (p !== swPath && !e.name.endsWith('.map')) files.push(relative(outDir, p).split(sep).join('/'));
        }
      };
      walk(outDir);
      files.sort();
      const hash = createHash('sha256');
      for (const f of files) hash.update(f).update('\0').update(readFileSync(join(outDir, f)));
      const version = hash.digest('hex').slice(0, 16);
      const sw = readFileSync(swPath, 'utf8');
      if (!sw.includes('__QONNX_STUDIO_BUILD__') || !sw.includes(`['__QONNX_STUDIO_FILES__']`)) throw new Error('public/sw.js lost its build placeholders');
      writeFileSync(swPath, sw.replace('__QONNX_STUDIO_BUILD__', version).replace(`['__QONNX_STUDIO_FILES__']`, JSON.stringify(files)));
    },
  };
}

// base './' makes every asset URL relative, so dist/ works under any sub-path (GitHub Pages: /<repo>/).
export default defineConfig({
  base: './',
  plugins: [react(), serviceWorkerManifest()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 2000 },
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'threads',
  },
});
