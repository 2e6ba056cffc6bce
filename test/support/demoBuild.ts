// Builds the demo's bundles exactly as Electron Forge's Vite plugin does for
// `electron-forge package`: the same config generator, fed the plugin config from
// forge.config.ts, merging Forge's defaults with demo/vite.*.config.ts. Only the output folder
// differs, so that tests never touch the project's .vite folder.
import { join, resolve } from 'node:path';

import ViteConfigGenerator from '@electron-forge/plugin-vite/dist/ViteConfig';
import { build } from 'vite';
import type { UserConfig } from 'vite';

import { demoViteConfig } from '../../forge.config';

const PROJECT = resolve(__dirname, '..', '..');

export type DemoTarget = 'main' | 'preload' | 'renderer';

export interface DemoBuild {
  /** The main-process bundle. */
  readonly main: string;
  /** The preload script. */
  readonly preload: string;
  /** The folder of the renderer page (index.html and its assets). */
  readonly rendererDir: string;
}

/** Builds the given targets (all by default) into `outDir` and says where each one went. */
export async function buildDemo(
  outDir: string,
  targets: readonly DemoTarget[] = ['main', 'preload', 'renderer'],
): Promise<DemoBuild> {
  // Absolute config paths: Vite resolves relative ones against the working directory.
  const pluginConfig = {
    ...demoViteConfig,
    build: demoViteConfig.build.map((entry) => ({ ...entry, config: join(PROJECT, entry.config) })),
    renderer: demoViteConfig.renderer.map((entry) => ({
      ...entry,
      config: join(PROJECT, entry.config),
    })),
  };
  const generator = new ViteConfigGenerator(pluginConfig, PROJECT, true);
  const bundles = await generator.getBuildConfigs();
  const [renderer] = await generator.getRendererConfig();

  const jobs: [UserConfig, string][] = [];
  pluginConfig.build.forEach((entry, index) => {
    const config = bundles[index];
    if (config !== undefined && targets.includes(entry.target ?? 'main')) {
      jobs.push([config, join(outDir, 'build')]);
    }
  });
  if (renderer !== undefined && targets.includes('renderer')) {
    jobs.push([renderer, join(outDir, 'renderer', 'main_window')]);
  }

  // One after the other: the machines running the tests have few cores.
  for (const [config, dir] of jobs) {
    await build({
      ...config,
      configFile: false,
      logLevel: 'silent',
      // As Forge: main and preload share one folder, so no build may empty it.
      build: { ...config.build, outDir: dir, emptyOutDir: false, watch: null },
    });
  }
  return {
    main: join(outDir, 'build', 'main.js'),
    preload: join(outDir, 'build', 'preload.js'),
    rendererDir: join(outDir, 'renderer', 'main_window'),
  };
}
