import { existsSync, readFileSync } from 'node:fs';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

import { DEMO_APP } from './shared/demoApp';

/** Where Forge's Vite plugin puts the main-process bundle; the app's entry point. */
export const DEMO_MAIN = '.vite/build/main.js';

/**
 * The modules the main bundle loads from node_modules at run time: better-sqlite3 is native so
 * it cannot be bundled, and these are everything its `require` calls reach (its other
 * dependency, prebuild-install, runs only at install time).
 */
export const NATIVE_RUNTIME_MODULES = ['better-sqlite3', 'bindings', 'file-uri-to-path'] as const;

/**
 * What Forge's rebuild runs to fetch better-sqlite3's prebuilt binary for Electron. It looks for
 * it beside the module in the app folder, and without it compiles the addon from source (Python
 * and a C++ toolchain, a minute or more), so it is copied in for the rebuild and removed after.
 */
export const REBUILD_TOOL = 'prebuild-install';

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
 * - copies better-sqlite3 and every package its dependencies reach (the
 *   {@link NATIVE_RUNTIME_MODULES}, and the {@link REBUILD_TOOL} with its own) from the
 *   project's node_modules, without better-sqlite3's `build` folder: the binary there was
 *   compiled for Node.js (or for Electron by `npm start`), and the app must only ever carry the
 *   one Forge's rebuild gets for the Electron version being packaged.
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

  for (const path of dependencyClosure(projectDir, 'better-sqlite3')) {
    const source = join(projectDir, path);
    await cp(source, join(buildPath, path), {
      recursive: true,
      filter: (file) => {
        const inner = relative(source, file).split(sep);
        // Nested packages are in the closure themselves when they are needed.
        if (inner[0] === 'node_modules') return false;
        return !(path === join('node_modules', 'better-sqlite3') && inner[0] === 'build');
      },
    });
  }
}

/**
 * After the rebuild (Forge's `packageAfterPrune` step), drops what the app never loads:
 * every package but the {@link NATIVE_RUNTIME_MODULES} (the {@link REBUILD_TOOL} and its
 * dependencies), what only compiling needed from better-sqlite3 (the SQLite sources, about
 * 10 MB, and the intermediate build files), the second copy of the addon that a compiling
 * rebuild leaves in its `bin` folder, and the bundles' source maps.
 */
export async function trimAppFolder(buildPath: string): Promise<void> {
  const modules = join(buildPath, 'node_modules');
  const keep = new Set<string>(NATIVE_RUNTIME_MODULES);
  for (const entry of await readdir(modules).catch(() => [])) {
    if (!keep.has(entry)) await rm(join(modules, entry), { recursive: true });
  }

  const module = join(modules, 'better-sqlite3');
  for (const entry of ['deps', 'src', 'bin', 'binding.gyp']) {
    await rm(join(module, entry), { recursive: true, force: true });
  }
  const release = join(module, 'build', 'Release');
  for (const entry of await readdir(join(module, 'build')).catch(() => [])) {
    if (entry !== 'Release') await rm(join(module, 'build', entry), { recursive: true });
  }
  for (const entry of await readdir(release).catch(() => [])) {
    if (entry !== 'better_sqlite3.node') await rm(join(release, entry), { recursive: true });
  }

  const bundles = join(buildPath, '.vite');
  const files = await readdir(bundles, { recursive: true }).catch(() => []);
  for (const file of files.filter((name) => name.endsWith('.map'))) {
    await rm(join(bundles, file));
  }
}

/**
 * The folders, relative to `projectDir`, of the package `name` and of every package its
 * `dependencies` reach, found as Node.js finds them (nearest node_modules first).
 */
export function dependencyClosure(projectDir: string, name: string): string[] {
  const found = new Set<string>();
  const visit = (dependency: string, from: string, optional: boolean) => {
    const dir = findPackage(dependency, from, projectDir);
    if (dir === null) {
      if (optional) return;
      throw new Error(`demo packaging: ${dependency}, needed by ${from}, is not installed`);
    }
    if (found.has(dir)) return;
    found.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const next of Object.keys(pkg.dependencies ?? {})) visit(next, dir, false);
    for (const next of Object.keys(pkg.optionalDependencies ?? {})) visit(next, dir, true);
  };
  visit(name, projectDir, false);
  return [...found].map((dir) => relative(projectDir, dir));
}

function findPackage(name: string, from: string, projectDir: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === projectDir || dirname(dir) === dir) return null;
  }
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
