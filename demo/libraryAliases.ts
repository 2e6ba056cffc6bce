import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Alias } from 'vite';

const ROOT = resolve(__dirname, '..');

interface PackageJson {
  readonly name: string;
  readonly exports: Record<string, string | { readonly default: string }>;
}

/**
 * Vite aliases that let the demo import the library exactly as an app does, by its public
 * entry points (`electron-client-session`, `/main`, `/preload`, `/renderer`), and nothing
 * else. They are read from the package's own `exports` map and point at the TypeScript source
 * of each entry (`./dist/x/index.js` is built from `src/x/index.ts`), so the demo needs no
 * prior build of the library. A deep import such as `electron-client-session/src/...` matches
 * no alias and fails to resolve.
 */
export function libraryAliases(): Alias[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  return Object.entries(pkg.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => {
      const built = typeof target === 'string' ? target : target.default;
      const source = built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
      const specifier = pkg.name + subpath.slice(1);
      return { find: new RegExp(`^${escapeRegExp(specifier)}$`), replacement: join(ROOT, source) };
    });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
