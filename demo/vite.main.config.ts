import { defineConfig } from 'vite';

import { libraryAliases } from './libraryAliases';

// Merged by Electron Forge's Vite plugin with its own main-process defaults (CommonJS library
// build of demo/main.ts into .vite/build/main.js, Electron and Node built-ins external).
export default defineConfig({
  resolve: { alias: libraryAliases() },
  build: {
    sourcemap: true,
    // The library loads some modules with require() where it uses them (@snowplow/tracker-core
    // for lifecycle events). Let the bundler see those calls in its source too, so that the
    // bundle carries them: the packaged app has no node_modules but the native module that
    // forge.config.ts adds (test/demo.build.test.ts checks the bundle needs nothing else).
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
