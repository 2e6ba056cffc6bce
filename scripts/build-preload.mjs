// Builds the package's standalone preload: one CommonJS file that requires nothing but
// `electron`, so that it runs in a sandboxed renderer (whose `require` knows only a few
// modules). `npm run build` runs this after tsc; the preload tests call buildPreload() too.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Where `npm run build` puts the file; `clientSessionPreloadPath()` in main points here. */
export const PRELOAD_OUTFILE = join(root, 'dist', 'preload', 'standalone.js');

/** Bundles the preload into `outfile` (absolute path) and returns the path. */
export async function buildPreload(outfile = PRELOAD_OUTFILE) {
  await build({
    entryPoints: [join(root, 'src', 'preload', 'standalone.ts')],
    outfile,
    bundle: true,
    format: 'cjs',
    // 'browser', not 'node': an accidental import of a Node module fails the build here
    // instead of failing in a sandboxed window.
    platform: 'browser',
    target: 'chrome124',
    external: ['electron'],
    banner: { js: '// electron-client-session preload: exposes window.electronClientSession' },
    // Overwrites the unbundled file and map tsc wrote for the same entry.
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildPreload(process.argv[2] ?? PRELOAD_OUTFILE);
}
