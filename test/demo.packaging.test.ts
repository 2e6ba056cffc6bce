// What can be checked here of packaging the demo. `electron-forge package` itself cannot run on
// these machines (it downloads Electron), so these tests run the demo's own packaging steps on a
// folder laid out as Forge lays it out, and stand in for the one step they cannot run: the
// rebuild of better-sqlite3 for Electron (Electron's headers cannot be downloaded either).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { describe, test } from 'node:test';

import { createPackageWithOptions, listPackage } from '@electron/asar';
import { AutoUnpackNativesPlugin } from '@electron-forge/plugin-auto-unpack-natives';
import type { ResolvedForgeConfig } from '@electron-forge/shared-types';

import forgeConfig from '../forge.config';
import {
  DEMO_MAIN,
  NATIVE_RUNTIME_MODULES,
  SQLITE_ADDON,
  prepareAppFolder,
  trimAppFolder,
} from '../demo/packaging';
import { tempDir } from './support/tmp';

const PROJECT = join(__dirname, '..');

/** A folder as Forge's Vite plugin leaves it before its packaging hook: only `.vite` output. */
function viteOnlyAppFolder(): string {
  const buildPath = join(tempDir('ecs-app-'), 'app');
  mkdirSync(join(buildPath, '.vite', 'build'), { recursive: true });
  writeFileSync(join(buildPath, DEMO_MAIN), '// the main bundle\n');
  return buildPath;
}

/** Stands in for Forge's rebuild, which would compile the addon for Electron in the folder. */
function standInForRebuild(buildPath: string): void {
  const target = join(buildPath, 'node_modules', 'better-sqlite3', SQLITE_ADDON);
  mkdirSync(join(target, '..'), { recursive: true });
  copyFileSync(join(PROJECT, 'node_modules', 'better-sqlite3', SQLITE_ADDON), target);
}

/** `require` as the packaged app's main bundle has it. */
function requireFromMain(buildPath: string): NodeRequire {
  return createRequire(join(buildPath, DEMO_MAIN));
}

describe('packaging the demo (forge.config.ts and demo/packaging.ts)', () => {
  test("Forge uses the demo's packaging step, not the stock one that wants main in .vite/", async () => {
    const buildPath = viteOnlyAppFolder();
    const vite = forgeConfig.plugins?.find((plugin) => 'packageAfterCopy' in plugin) as
      { getHooks(): { packageAfterCopy: (c: unknown, p: string) => Promise<void> } } | undefined;
    assert.ok(vite, 'forge.config.ts has the Vite plugin');
    await vite.getHooks().packageAfterCopy({}, buildPath);

    const manifest = JSON.parse(readFileSync(join(buildPath, 'package.json'), 'utf8'));
    assert.equal(manifest.main, DEMO_MAIN);
    assert.equal(manifest.name, 'electron-client-session-demo');
    const installed = JSON.parse(
      readFileSync(join(PROJECT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'),
    );
    // Named as a dependency, so that Forge's rebuild (next step) compiles it for Electron.
    assert.deepEqual(manifest.dependencies, { 'better-sqlite3': installed.version });
    assert.deepEqual(forgeConfig.rebuildConfig?.onlyModules, ['better-sqlite3']);
  });

  test('the app folder gets better-sqlite3 and what it requires, without a Node.js binary', async () => {
    const buildPath = viteOnlyAppFolder();
    await prepareAppFolder(PROJECT, buildPath);

    const require = requireFromMain(buildPath);
    const inApp = (path: string) => path.startsWith(buildPath + sep);
    const sqlite = require.resolve('better-sqlite3');
    assert.ok(inApp(sqlite), sqlite);
    const bindings = createRequire(sqlite).resolve('bindings');
    assert.ok(inApp(bindings), bindings);
    assert.ok(inApp(createRequire(bindings).resolve('file-uri-to-path')));
    for (const name of NATIVE_RUNTIME_MODULES) {
      assert.ok(existsSync(join(buildPath, 'node_modules', name, 'package.json')), name);
    }
    // The rebuild compiles from these; the app never carries the project's own binary.
    assert.ok(existsSync(join(buildPath, 'node_modules', 'better-sqlite3', 'binding.gyp')));
    assert.ok(existsSync(join(buildPath, 'node_modules', 'better-sqlite3', 'deps')));
    assert.equal(existsSync(join(buildPath, 'node_modules', 'better-sqlite3', 'build')), false);
  });

  test('once built, better-sqlite3 loads and works from the app folder alone, also trimmed', async () => {
    const buildPath = viteOnlyAppFolder();
    await prepareAppFolder(PROJECT, buildPath);
    standInForRebuild(buildPath);
    await trimAppFolder(buildPath);

    const module = join(buildPath, 'node_modules', 'better-sqlite3');
    assert.equal(existsSync(join(module, 'deps')), false);
    assert.equal(existsSync(join(module, 'src')), false);
    assert.ok(existsSync(join(module, SQLITE_ADDON)));

    const Database = requireFromMain(buildPath)(
      'better-sqlite3',
    ) as typeof import('better-sqlite3');
    const db = new Database(':memory:');
    const version = db.prepare('select sqlite_version() as v').get() as { v: string };
    db.close();
    assert.match(version.v, /^3\.\d+\.\d+$/);
  });

  test('in the asar, the addon is unpacked and the JavaScript is packed', async () => {
    const buildPath = viteOnlyAppFolder();
    await prepareAppFolder(PROJECT, buildPath);
    standInForRebuild(buildPath);
    await trimAppFolder(buildPath);

    // The unpack rule exactly as the plugin in forge.config.ts sets it.
    const plugin = forgeConfig.plugins?.find((p) => p instanceof AutoUnpackNativesPlugin);
    assert.ok(plugin instanceof AutoUnpackNativesPlugin);
    const config = { packagerConfig: { ...forgeConfig.packagerConfig } } as ResolvedForgeConfig;
    await plugin.resolveForgeConfig(config, config);
    const asarOptions = config.packagerConfig.asar as { unpack: string };

    const asar = join(buildPath, '..', 'app.asar');
    await createPackageWithOptions(buildPath, asar, { unpack: asarOptions.unpack });
    const addon = join('node_modules', 'better-sqlite3', SQLITE_ADDON);
    assert.ok(existsSync(join(`${asar}.unpacked`, addon)), 'the addon is in app.asar.unpacked');
    const packed = listPackage(asar, { isPack: false }).map((path) => path.replace(/^[\\/]/, ''));
    assert.ok(packed.includes(join('node_modules', 'better-sqlite3', 'lib', 'index.js')));
    assert.ok(packed.includes(DEMO_MAIN.split('/').join(sep)));
    assert.equal(existsSync(join(`${asar}.unpacked`, DEMO_MAIN)), false);
  });
});
