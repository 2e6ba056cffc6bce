import { defineConfig } from 'vite';

import { libraryAliases } from './libraryAliases';

// Merged by Electron Forge's Vite plugin with its own main-process defaults (CommonJS library
// build of demo/main.ts into .vite/build/main.js, Electron and Node built-ins external).
export default defineConfig({
  resolve: { alias: libraryAliases() },
  build: {
    sourcemap: true,
    // The library loads some modules with require() at the point of use (better-sqlite3, and
    // @snowplow/tracker-core for lifecycle events). Let the bundler see those calls, so that
    // the bundle carries what it needs: the packaged app has no node_modules besides the
    // native module forge.config.ts adds.
    commonjsOptions: {
      include: [/node_modules/, /[\\/]src[\\/]main[\\/]/],
      extensions: ['.js', '.ts'],
      transformMixedEsModules: true,
    },
    rollupOptions: {
      // A native module cannot be bundled: it is loaded from node_modules at run time, and
      // forge.config.ts copies it into the packaged app (unpacked from the asar).
      external: ['better-sqlite3'],
    },
  },
});
