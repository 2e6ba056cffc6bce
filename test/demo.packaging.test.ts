// What can be checked here of packaging the demo. `electron-forge package` itself cannot run on
// these machines (it downloads Electron), so these tests run the demo's own packaging steps on a
// folder laid out as Forge lays it out. Forge's rebuild of better-sqlite3 for Electron runs for
// real, with one stand-in: the prebuilt binary it downloads comes from a server on 127.0.0.1
// (GitHub cannot be reached here) and is the Node.js build, as no Electron build can be made.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { describe, test } from 'node:test';

import { createPackageWithOptions, listPackage } from '@electron/asar';
import { listrCompatibleRebuildHook } from '@electron-forge/core-utils';
import { AutoUnpackNativesPlugin } from '@electron-forge/plugin-auto-unpack-natives';
import type { ResolvedForgeConfig } from '@electron-forge/shared-types';

import forgeConfig from '../forge.config';
import {
  DEMO_MAIN,
  NATIVE_RUNTIME_MODULES,
  REBUILD_TOOL,
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
  writeFileSync(join(buildPath, `${DEMO_MAIN}.map`), '{}\n');
  return buildPath;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/**
 * Serves better-sqlite3's prebuilt binaries as its GitHub releases would, at
 * `/v<version>/<name>-v<version>-<runtime>-v<abi>-<platform>-<arch>.tar.gz`: every one is the
 * Node.js build of this machine. Returns the host and the paths asked for.
 */
async function prebuiltHost() {
  const dir = tempDir('ecs-prebuilt-');
  const tarball = join(dir, 'prebuilt.tar.gz');
  mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
  copyFileSync(
    join(PROJECT, 'node_modules', 'better-sqlite3', SQLITE_ADDON),
    join(dir, SQLITE_ADDON),
  );
  execFileSync('tar', ['-czf', tarball, '-C', dir, SQLITE_ADDON.split(sep).join('/')]);
  const requested: string[] = [];
  const server = createServer((request, response) => {
    requested.push(request.url ?? '');
    response.writeHead(200, { 'content-type': 'application/gzip' }).end(readFileSync(tarball));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requested,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Stands in for Forge's rebuild where it compiles: the addon for Electron in the folder, and a
 * second copy in `bin/`, as @electron/rebuild leaves it.
 */
function standInForRebuild(buildPath: string): void {
  const module = join(buildPath, 'node_modules', 'better-sqlite3');
  const addon = join(PROJECT, 'node_modules', 'better-sqlite3', SQLITE_ADDON);
  mkdirSync(join(module, SQLITE_ADDON, '..'), { recursive: true });
  copyFileSync(addon, join(module, SQLITE_ADDON));
  mkdirSync(join(module, 'bin', 'linux-x64-145'), { recursive: true });
  copyFileSync(addon, join(module, 'bin', 'linux-x64-145', 'better-sqlite3.node'));
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
    // The rebuild downloads with this, or compiles from the sources; the app never carries the
    // project's own binary.
    const tool = createRequire(sqlite).resolve(`${REBUILD_TOOL}/bin.js`);
    assert.equal(tool, join(buildPath, 'node_modules', REBUILD_TOOL, 'bin.js'));
    for (const name of Object.keys(readJson(join(tool, '..', 'package.json')).dependencies)) {
      assert.ok(inApp(createRequire(tool).resolve(name)), name);
    }
    assert.ok(existsSync(join(buildPath, 'node_modules', 'better-sqlite3', 'binding.gyp')));
    assert.ok(existsSync(join(buildPath, 'node_modules', 'better-sqlite3', 'deps')));
    assert.equal(existsSync(join(buildPath, 'node_modules', 'better-sqlite3', 'build')), false);
  });

  test("Forge's rebuild, as electron-forge package runs it, downloads the Electron prebuilt", async (t) => {
    const buildPath = viteOnlyAppFolder();
    await prepareAppFolder(PROJECT, buildPath);
    const host = await prebuiltHost();
    t.after(() => host.close());
    // Read by prebuild-install in the rebuild's child process, which inherits the environment.
    const env = {
      npm_config_better_sqlite3_binary_host: host.url,
      npm_config_cache: tempDir('ecs-npm-cache-'),
    };
    for (const [name, value] of Object.entries(env)) {
      const before = process.env[name];
      process.env[name] = value;
      t.after(() => {
        if (before === undefined) delete process.env[name];
        else process.env[name] = before;
      });
    }

    const electronVersion: string = readJson(
      join(PROJECT, 'node_modules', 'electron', 'package.json'),
    ).version;
    const task = { title: '', output: '', task: {} };
    await listrCompatibleRebuildHook(
      buildPath,
      electronVersion,
      process.platform,
      process.arch,
      forgeConfig.rebuildConfig,
      task as never,
    );

    const sqlite = readJson(join(PROJECT, 'node_modules', 'better-sqlite3', 'package.json'));
    assert.equal(host.requested.length, 1, 'one download, no compiling');
    assert.match(
      host.requested[0] ?? '',
      new RegExp(
        `^/v${sqlite.version}/better-sqlite3-v${sqlite.version}-electron-v\\d+-` +
          `${process.platform}-${process.arch}\\.tar\\.gz$`,
      ),
    );
    const release = join(buildPath, 'node_modules', 'better-sqlite3', 'build', 'Release');
    assert.match(readFileSync(join(release, '.forge-meta'), 'utf8'), /^\w+--\d+$/);
    assert.ok(existsSync(join(release, 'better_sqlite3.node')));

    await trimAppFolder(buildPath);
    assert.deepEqual(readdirSync(join(buildPath, 'node_modules')).sort(), [
      ...NATIVE_RUNTIME_MODULES,
    ]);
    assert.deepEqual(readdirSync(release), ['better_sqlite3.node']);
  });

  test('once built, better-sqlite3 loads and works from the app folder alone, also trimmed', async () => {
    const buildPath = viteOnlyAppFolder();
    await prepareAppFolder(PROJECT, buildPath);
    standInForRebuild(buildPath);
    await trimAppFolder(buildPath);

    const module = join(buildPath, 'node_modules', 'better-sqlite3');
    for (const entry of ['deps', 'src', 'bin', 'binding.gyp']) {
      assert.equal(existsSync(join(module, entry)), false, entry);
    }
    assert.ok(existsSync(join(module, SQLITE_ADDON)));
    assert.deepEqual(readdirSync(join(buildPath, 'node_modules')).sort(), [
      ...NATIVE_RUNTIME_MODULES,
    ]);
    assert.equal(existsSync(join(buildPath, `${DEMO_MAIN}.map`)), false, 'source maps are dropped');
    assert.ok(existsSync(join(buildPath, DEMO_MAIN)));

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
