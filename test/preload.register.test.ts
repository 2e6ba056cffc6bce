// The package's preload registered for every window of a session, beside the app's own
// preload: `session.registerPreloadScript` on Electron 35+, `setPreloads` before that.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';

import type { PreloadScript, PreloadScriptRegistration, Session } from 'electron';

import {
  clientSessionPreloadPath,
  registerClientSessionPreload,
} from '../src/main/ipc/registerClientSessionPreload';
import { tempDir } from './support/tmp';

/** A session of Electron 35+, typed against the real `Session`. */
class ModernSession implements Pick<
  Session,
  'registerPreloadScript' | 'unregisterPreloadScript' | 'getPreloadScripts'
> {
  readonly scripts: PreloadScript[] = [
    { id: 'app-own', type: 'frame', filePath: '/app/preload.js' },
  ];

  registerPreloadScript(script: PreloadScriptRegistration): string {
    const id = script.id ?? crypto.randomUUID();
    if (this.scripts.some((existing) => existing.id === id)) {
      throw new Error(`Cannot register preload script with existing ID '${id}'`);
    }
    this.scripts.push({ ...script, id });
    return id;
  }

  unregisterPreloadScript(id: string): void {
    this.scripts.splice(
      this.scripts.findIndex((script) => script.id === id),
      1,
    );
  }

  getPreloadScripts(): PreloadScript[] {
    return [...this.scripts];
  }
}

/** A session of Electron before 35, typed against the real (deprecated) methods. */
class OlderSession implements Pick<Session, 'getPreloads' | 'setPreloads'> {
  preloads = ['/app/preload.js'];

  getPreloads(): string[] {
    return [...this.preloads];
  }

  setPreloads(preloads: string[]): void {
    this.preloads = [...preloads];
  }
}

function builtPreload(): string {
  const file = join(tempDir(), 'standalone.js');
  writeFileSync(file, '// stand-in for the built preload\n');
  return file;
}

describe('registerClientSessionPreload', () => {
  test('on Electron 35+ it adds a frame preload beside the app’s own, and takes it away again', () => {
    const session = new ModernSession();
    const filePath = builtPreload();
    const unregister = registerClientSessionPreload(session, { filePath });
    assert.deepEqual(session.getPreloadScripts(), [
      { id: 'app-own', type: 'frame', filePath: '/app/preload.js' },
      { id: 'electron-client-session', type: 'frame', filePath },
    ]);
    unregister();
    unregister();
    assert.deepEqual(
      session.getPreloadScripts().map((script) => script.id),
      ['app-own'],
    );
  });

  test('registering twice under one id is ALREADY_CREATED; another id is fine', () => {
    const session = new ModernSession();
    const filePath = builtPreload();
    registerClientSessionPreload(session, { filePath });
    assert.throws(() => registerClientSessionPreload(session, { filePath }), {
      code: 'ALREADY_CREATED',
    });
    registerClientSessionPreload(session, { filePath, id: 'second' });
    assert.equal(session.getPreloadScripts().length, 3);
  });

  test('before Electron 35 it appends to setPreloads, keeping the app’s own, and removes only its own', () => {
    const session = new OlderSession();
    const filePath = builtPreload();
    const unregister = registerClientSessionPreload(session, { filePath });
    assert.deepEqual(session.preloads, ['/app/preload.js', filePath]);
    session.setPreloads([...session.preloads, '/app/later.js']);
    unregister();
    assert.deepEqual(session.preloads, ['/app/preload.js', '/app/later.js']);
  });

  test('a file the app listed itself is neither added twice nor removed', () => {
    const session = new OlderSession();
    const filePath = builtPreload();
    session.preloads.push(filePath);
    registerClientSessionPreload(session, { filePath })();
    assert.deepEqual(session.preloads, ['/app/preload.js', filePath]);
  });

  test('a missing or relative file is an INVALID_OPTION error that says what to pass', () => {
    const session = new ModernSession();
    for (const filePath of ['/nowhere/standalone.js', 'dist/preload/standalone.js']) {
      assert.throws(
        () => registerClientSessionPreload(session, { filePath }),
        (error: { code?: string; message?: string }) =>
          error.code === 'INVALID_OPTION' && /options\.filePath/.test(error.message ?? ''),
      );
    }
    assert.equal(session.getPreloadScripts().length, 1);
  });

  test('something that is not a session is an INVALID_OPTION error pointing to the README', () => {
    assert.throws(() => registerClientSessionPreload({}, { filePath: builtPreload() }), {
      code: 'INVALID_OPTION',
      message: /README section "Preload"/,
    });
  });
});

describe('clientSessionPreloadPath', () => {
  test('points at dist/preload/standalone.js next to the built main entry', (t) => {
    const built = resolve(
      __dirname,
      '..',
      'dist',
      'main',
      'ipc',
      'registerClientSessionPreload.js',
    );
    if (!existsSync(built)) {
      t.skip('no build yet: run npm run build (npm test does)');
      return;
    }
    const fromBuild = (require(built) as { clientSessionPreloadPath(): string })
      .clientSessionPreloadPath;
    assert.equal(fromBuild(), resolve(__dirname, '..', 'dist', 'preload', 'standalone.js'));
    assert.ok(existsSync(fromBuild()), 'npm run build writes the file there');
  });

  test('from the sources it names the same file layout', () => {
    assert.match(clientSessionPreloadPath(), /[/\\]preload[/\\]standalone\.js$/);
  });
});
