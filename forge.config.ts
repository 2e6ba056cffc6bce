// Electron Forge 7 configuration of the demo app (demo/). The repository's package.json
// describes the library, so the demo's app manifest is written at packaging time
// (demo/packaging.ts) instead of being copied from it.
import { MakerZIP } from '@electron-forge/maker-zip';
import { AutoUnpackNativesPlugin } from '@electron-forge/plugin-auto-unpack-natives';
import { VitePlugin } from '@electron-forge/plugin-vite';
import type { VitePluginConfig } from '@electron-forge/plugin-vite/dist/Config';
import type { ForgeConfig } from '@electron-forge/shared-types';

import { prepareAppFolder, trimAppFolder } from './demo/packaging';
import { DEMO_APP } from './demo/shared/demoApp';

/** The demo's bundles: read by Forge and by test/demo.build.test.ts. */
export const demoViteConfig: VitePluginConfig = {
  build: [
    { entry: 'demo/main.ts', config: 'demo/vite.main.config.ts', target: 'main' },
    { entry: 'demo/preload.ts', config: 'demo/vite.preload.config.ts', target: 'preload' },
  ],
  renderer: [{ name: 'main_window', config: 'demo/vite.renderer.config.ts' }],
};

/**
 * Forge's Vite plugin, except for its packaging step: the stock one copies the project's
 * package.json into the app and refuses a `main` outside `.vite/`, which a library's
 * package.json cannot have. This one writes the demo's own manifest and adds better-sqlite3.
 */
class DemoVitePlugin extends VitePlugin {
  override packageAfterCopy = async (_config: unknown, buildPath: string): Promise<void> => {
    await prepareAppFolder(__dirname, buildPath);
  };
}

const config: ForgeConfig = {
  packagerConfig: {
    name: DEMO_APP.productName,
    executableName: DEMO_APP.name,
    // Required by the auto-unpack-natives plugin, which keeps *.node files out of the asar.
    asar: true,
  },
  rebuildConfig: {
    // better-sqlite3 is a devDependency of the library; name it so that `electron-forge start`
    // rebuilds it for Electron too. (After that, plain Node cannot load it: see the README.)
    onlyModules: ['better-sqlite3'],
  },
  hooks: {
    // Runs after the rebuild: the addon is built, its sources are no longer needed.
    packageAfterPrune: async (_config, buildPath) => trimAppFolder(buildPath),
  },
  makers: [new MakerZIP({}, ['darwin', 'linux', 'win32'])],
  plugins: [new DemoVitePlugin(demoViteConfig), new AutoUnpackNativesPlugin({})],
};

export default config;
