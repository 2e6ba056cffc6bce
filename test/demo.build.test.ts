// The demo's three bundles build as `electron-forge package` builds them (Forge's own Vite
// config generator fed forge.config.ts), and each can run where it will run: the main bundle
// with nothing from node_modules but the native module that is shipped beside it, the preload
// in a sandboxed window whose `require` offers little more than 'electron', and the page from
// files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { runInNewContext } from 'node:vm';

import { NATIVE_RUNTIME_MODULES } from '../demo/packaging';
import { buildDemo } from './support/demoBuild';
import type { DemoBuild } from './support/demoBuild';
import { tempDir } from './support/tmp';

/** Every module a CommonJS bundle asks `require` for. */
function requiredModules(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)) {
    found.add(match[1] as string);
  }
  return [...found].sort();
}

// The timeout only bounds a hang; nothing here waits for time.
describe("the demo's bundles", { timeout: 120_000 }, () => {
  const outDir = tempDir('ecs-demo-build-');
  let built: DemoBuild;
  before(async () => {
    built = await buildDemo(outDir);
  });

  test('the main bundle needs nothing from node_modules but better-sqlite3, shipped beside it', () => {
    const code = readFileSync(built.main, 'utf8');
    const fromNodeModules = requiredModules(code).filter(
      (name) => name !== 'electron' && !builtinModules.includes(name.replace(/^node:/, '')),
    );
    assert.deepEqual(fromNodeModules, ['better-sqlite3']);
    assert.ok(NATIVE_RUNTIME_MODULES.includes('better-sqlite3'));
    // The library, the trackers and the demo's own code are inside.
    assert.match(code, /iglu:com\.snowplowanalytics\.snowplow\/client_session\/jsonschema\/1-0-2/);
  });

  test("the preload requires nothing but 'electron', statically or when it runs", () => {
    const code = readFileSync(built.preload, 'utf8');
    assert.deepEqual(requiredModules(code), ['electron']);

    const required: string[] = [];
    const exposed: string[] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (name: string) => void exposed.push(name) },
      ipcRenderer: {
        invoke: async () => undefined,
        sendSync: () => undefined,
        on() {},
        removeListener() {},
      },
    };
    const module = { exports: {} };
    runInNewContext(code, {
      module,
      exports: module.exports,
      require: (name: string) => {
        required.push(name);
        if (name === 'electron') return electron;
        throw new Error(`a sandboxed preload cannot require ${name}`);
      },
    });
    assert.deepEqual(required, ['electron']);
    assert.deepEqual(exposed, ['electronClientSession', 'demo']);
  });

  test('the page loads from files: relative asset paths, a CSP, no bare imports left', () => {
    const html = readFileSync(join(built.rendererDir, 'index.html'), 'utf8');
    assert.match(html, /http-equiv="Content-Security-Policy"/);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((m) => m[1] as string)
      .filter((url) => !url.startsWith('data:'));
    assert.ok(assets.length >= 2, html);
    for (const asset of assets) {
      assert.match(asset, /^\.\/assets\//, 'file:// pages need relative paths');
      assert.ok(existsSync(join(built.rendererDir, asset)), asset);
    }
    for (const file of readdirSync(join(built.rendererDir, 'assets'))) {
      if (!file.endsWith('.js')) continue;
      const code = readFileSync(join(built.rendererDir, 'assets', file), 'utf8');
      assert.doesNotMatch(code, /\bfrom\s*["'][^./"']/, `${file} imports a bare module`);
      assert.doesNotMatch(code, /\brequire\(/, `${file} calls require`);
    }
  });
});
