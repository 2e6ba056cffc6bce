// SPEC 7: the preload is one script that requires nothing but `electron`, so that it runs in a
// sandboxed renderer. Built here with the same step `npm run build` runs, then loaded in a fresh
// V8 context whose `require` records every name it is asked for.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { createContext, runInContext } from 'node:vm';

import { CHANNELS, DEFAULT_BRIDGE_NAME } from '../src/shared/ipc';
import type { ClientSessionBridge } from '../src/shared/ipc';
import { APP_PAGE, FakeContextBridge, startMain } from './support/fakeIpc';
import type { FakePage } from './support/fakeIpc';
import { eventId } from './support/ids';
import { tempDir } from './support/tmp';

interface BuildScript {
  buildPreload(outfile?: string): Promise<string>;
  PRELOAD_OUTFILE: string;
}

const loadBuildScript = () =>
  import(resolve(__dirname, '..', 'scripts', 'build-preload.mjs')) as Promise<BuildScript>;

/**
 * Runs `code` as Electron runs a sandboxed preload (lib/sandboxed_renderer): wrapped in a
 * function whose parameters are `require`, `process` and a few more, evaluated in the page's
 * context. `process` is only that parameter: the context's global has none. Without context
 * isolation `contextBridge` throws, as Electron's does, and the preload's global is the page's
 * window. Several scripts run one after the other in the same world, as a session's preloads
 * and the window's own do. Returns the names required, the page's world and what was logged.
 */
function runSandboxed(code: string | string[], page: FakePage, contextIsolated = true) {
  const required: string[] = [];
  const logged: string[] = [];
  const contextBridge = new FakeContextBridge(contextIsolated);
  const electron = { contextBridge, ipcRenderer: page.ipcRenderer };
  const record = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
  const context = createContext({
    console: { error: record, warn: record, info: record, debug: record, log: record },
  });
  const require = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`module not found: ${name}`);
  };
  const preloadProcess = { contextIsolated, sandboxed: true };
  for (const script of typeof code === 'string' ? [code] : code) {
    const wrapped =
      '(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, ' +
      `module) {${script}\n})`;
    const run = runInContext(wrapped, context, { filename: 'standalone.js' }) as (
      ...args: unknown[]
    ) => void;
    const exports = {};
    run(require, preloadProcess, undefined, context, setImmediate, clearImmediate, exports, {
      exports,
    });
  }
  return { required, mainWorld: contextBridge.mainWorld, context, logged };
}

describe('the built preload', () => {
  let code = '';
  before(async () => {
    const { buildPreload } = await loadBuildScript();
    code = readFileSync(await buildPreload(join(tempDir(), 'standalone.js')), 'utf8');
  });

  test('requires electron and nothing else when it runs', () => {
    const main = startMain();
    const { required } = runSandboxed(code, main.app.openWindow(APP_PAGE));
    assert.deepEqual(required, ['electron']);
  });

  test('names no other module anywhere in its text', () => {
    const calls = [...code.matchAll(/\brequire\s*\(([^)]*)\)/g)].map((match) => match[1]);
    assert.deepEqual(calls, ['"electron"']);
    assert.doesNotMatch(code, /\bimport\s*\(|^\s*import\s|^\s*export\s/m, 'CommonJS only');
  });

  test('exposes a working bridge on window under the default name', async () => {
    const main = startMain();
    const page = main.app.openWindow(APP_PAGE);
    const { mainWorld } = runSandboxed(code, page);
    const bridge = mainWorld[DEFAULT_BRIDGE_NAME] as ClientSessionBridge;
    const stamped = bridge.stamp(eventId(), main.clock.time);
    assert.ok(stamped.ok);
    assert.equal(stamped.value.eventIndex, 1);
    assert.deepEqual(await bridge.getSnapshot(), { ok: true, value: main.session.getSnapshot() });
    assert.deepEqual(page.ipcRenderer.sent, [CHANNELS.stamp, CHANNELS.snapshot]);
  });

  test('exposes it with nothing logged, reading process from the wrapper, not the global', () => {
    const main = startMain();
    const { context, mainWorld, logged } = runSandboxed(code, main.app.openWindow(APP_PAGE));
    assert.equal('process' in context, false);
    assert.deepEqual(Object.keys(mainWorld), [DEFAULT_BRIDGE_NAME]);
    assert.deepEqual(logged, []);
  });

  test('a second copy in the same world (the package preload beside the app’s) warns of nothing', () => {
    for (const contextIsolated of [true, false]) {
      const main = startMain();
      const page = main.app.openWindow(APP_PAGE);
      const { context, mainWorld, logged } = runSandboxed([code, code], page, contextIsolated);
      const world = contextIsolated ? mainWorld : context;
      assert.equal(typeof (world[DEFAULT_BRIDGE_NAME] as ClientSessionBridge).stamp, 'function');
      assert.deepEqual(logged, [], `contextIsolated: ${contextIsolated}`);
    }
  });

  test('without context isolation it sets the bridge on the global object itself', async () => {
    const main = startMain();
    const { context, mainWorld, logged } = runSandboxed(code, main.app.openWindow(APP_PAGE), false);
    assert.deepEqual(Object.keys(mainWorld), []);
    const bridge = context[DEFAULT_BRIDGE_NAME] as ClientSessionBridge;
    assert.equal((await bridge.getSnapshot()).ok, true);
    assert.deepEqual(logged, []);
  });
});

test('the file npm run build wrote requires only electron, when a build has run', async (t) => {
  const { PRELOAD_OUTFILE } = await loadBuildScript();
  if (!existsSync(PRELOAD_OUTFILE)) {
    t.skip('no dist/preload/standalone.js yet: run npm run build (npm test does)');
    return;
  }
  const built = readFileSync(PRELOAD_OUTFILE, 'utf8');
  const { required } = runSandboxed(built, startMain().app.openWindow(APP_PAGE));
  assert.deepEqual(required, ['electron']);
});
