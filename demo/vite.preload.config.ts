import { defineConfig } from 'vite';

import { libraryAliases } from './libraryAliases';

// Merged by Electron Forge's Vite plugin with its preload defaults: one CommonJS file
// (.vite/build/preload.js) with nothing split out and only Electron external, so that it runs
// in a sandboxed renderer, where `require` knows little more than 'electron'.
export default defineConfig({
  resolve: { alias: libraryAliases() },
  build: { sourcemap: 'inline' },
});
