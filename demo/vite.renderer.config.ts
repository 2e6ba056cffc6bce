import { resolve } from 'node:path';

import { defineConfig } from 'vite';

import { libraryAliases } from './libraryAliases';

// The page lives in demo/renderer; Forge builds it into .vite/renderer/main_window, where
// demo/main.ts loads it from in a packaged app (the name matches forge.config.ts).
export default defineConfig({
  root: resolve(__dirname, 'renderer'),
  resolve: { alias: libraryAliases() },
  build: {
    outDir: resolve(__dirname, '../.vite/renderer/main_window'),
    emptyOutDir: true,
    sourcemap: true,
  },
});
