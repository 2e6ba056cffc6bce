import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

import { DEMO_APP } from './shared/demoApp';

/** Where Forge's Vite plugin puts the main-process bundle; the app's entry point. */
export const DEMO_MAIN = '.vite/build/main.js';

/**
 * The modules the main bundle loads from node_modules at run time: better-sqlite3 is native so
 * it cannot be bundled, and these are everything its `require` calls reach (its other
 * dependency, prebuild-install, runs only at install time).
 */
export const NATIVE_RUNTIME_MODULES = ['better-sqlite3', 'bindings', 'file-uri-to-path'] as const;

/** better-sqlite3's compiled addon, relative to its folder; the only build output it loads. */
export const SQLITE_ADDON = join('build', 'Release', 'better_sqlite3.node');

interface PackageJson {
  readonly version: string;
  readonly license?: string;
}

/**
 * Completes the app folder Electron Forge is packaging (its `packageAfterCopy` step), in which
 * the Vite plugin has copied only its `.vite` output:
 *
 * - writes the app's own package.json, whose `main` is the demo's bundle (the repository's
 *   package.json describes the library) and whose `dependencies` name better-sqlite3, so that
 *   Forge's next step rebuilds it for Electron's ABI in this folder;
 * - copies the {@link NATIVE_RUNTIME_MODULES} from the project's node_modules with their
 *   sources but without better-sqlite3's `build` folder: the binary there was compiled for
 *   Node.js (or for Electron by `npm start`), and the app must only ever carry the one Forge's
 *   rebuild makes for the Electron version being packaged.
 */
export async function prepareAppFolder(projectDir: string, buildPath: string): Promise<void> {
  const project = await readJson<PackageJson>(join(projectDir, 'package.json'));
  const sqlite = await readJson<PackageJson>(
    join(projectDir, 'node_modules', 'better-sqlite3', 'package.json'),
  );

  const manifest = {
    name: DEMO_APP.name,
    productName: DEMO_APP.productName,
    version: project.version,
    description: 'Demo of electron-client-session: one Snowplow client session in every window',
    license: project.license,
    main: DEMO_MAIN,
    dependencies: { 'better-sqlite3': sqlite.version },
  };
  await writeFile(join(buildPath, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  for (const name of NATIVE_RUNTIME_MODULES) {
    const source = join(projectDir, 'node_modules', name);
    await cp(source, join(buildPath, 'node_modules', name), {
      recursive: true,
      filter: (path) => {
        const inner = relative(source, path).split(sep);
        return !(name === 'better-sqlite3' && inner[0] === 'build');
      },
    });
  }
}

/**
 * After the rebuild (Forge's `packageAfterPrune` step): drops what only compiling needed from
 * better-sqlite3 (the SQLite sources, about 10 MB, and the intermediate build files), keeping
 * its JavaScript and the one addon it loads.
 */
export async function trimAppFolder(buildPath: string): Promise<void> {
  const module = join(buildPath, 'node_modules', 'better-sqlite3');
  for (const entry of ['deps', 'src', 'binding.gyp']) {
    await rm(join(module, entry), { recursive: true, force: true });
  }
  const release = join(module, 'build', 'Release');
  for (const entry of await readdir(join(module, 'build')).catch(() => [])) {
    if (entry !== 'Release') await rm(join(module, 'build', entry), { recursive: true });
  }
  for (const entry of await readdir(release).catch(() => [])) {
    if (entry !== 'better_sqlite3.node') await rm(join(release, entry), { recursive: true });
  }
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
