// The package as an app loads it: through its name and `exports`, from the built files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';

const root = join(__dirname, '..');
const names = ['ClientSession', 'SqliteSessionStore', 'MemorySessionStore', 'clientSessionPlugin'];

function node(args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
}

before(() => {
  // npm test builds first; build here too when this file runs alone.
  if (!existsSync(join(root, 'dist/main/index.js'))) {
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
      },
    );
  }
});

for (const entry of ['electron-client-session', 'electron-client-session/main']) {
  test(`${entry} loads with require() from CommonJS`, () => {
    const out = node([
      '-e',
      `const m = require('${entry}'); console.log(JSON.stringify(Object.keys(m)))`,
    ]);
    const keys = JSON.parse(out) as string[];
    for (const name of names) assert.ok(keys.includes(name), `${name} exported`);
  });

  test(`${entry} loads with import from ESM, named exports included`, () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import { ${names.join(', ')} } from '${entry}';
       console.log([${names.join(', ')}].map((x) => typeof x).join(','))`,
    ]);
    assert.equal(out.trim(), names.map(() => 'function').join(','));
  });
}

test('loading the main entry does not load electron', () => {
  const out = node([
    '-e',
    `require('electron-client-session/main');
     console.log(Object.keys(require.cache).some((p) => p.includes('/node_modules/electron/')))`,
  ]);
  assert.equal(out.trim(), 'false');
});

for (const resolution of ['node10', 'node16', 'bundler']) {
  test(`the typings of every entry point resolve with moduleResolution ${resolution}`, () => {
    const app = mkdtempSync(join(tmpdir(), 'ecs-types-'));
    try {
      mkdirSync(join(app, 'node_modules'));
      symlinkSync(root, join(app, 'node_modules', 'electron-client-session'), 'dir');
      writeFileSync(
        join(app, 'app.ts'),
        [
          "import { ClientSession, createClientSession } from 'electron-client-session';",
          "import { MemorySessionStore } from 'electron-client-session/main';",
          "import { exposeClientSession } from 'electron-client-session/preload';",
          "import { getClientSession } from 'electron-client-session/renderer';",
          "import 'electron-client-session/renderer/globals';",
          'new ClientSession({ store: new MemorySessionStore() });',
          'void [createClientSession, exposeClientSession, getClientSession];',
          '',
        ].join('\n'),
      );
      const module =
        resolution === 'bundler' ? 'esnext' : resolution === 'node16' ? 'node16' : 'commonjs';
      const tsc = require.resolve('typescript/bin/tsc');
      const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', '--types', 'node'];
      args.push(
        '--module',
        module,
        '--moduleResolution',
        resolution,
        '--typeRoots',
        join(root, 'node_modules/@types'),
        'app.ts',
      );
      execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' });
    } catch (error) {
      const { stdout } = error as { stdout?: string };
      assert.fail(stdout ?? String(error));
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
}

test('the typings compile with skipLibCheck off and without @types/better-sqlite3', () => {
  // better-sqlite3 ships no typings: an app that installs it alone must not need them for ours.
  const app = mkdtempSync(join(tmpdir(), 'ecs-libcheck-'));
  try {
    const modules = join(app, 'node_modules');
    const own = join(modules, 'electron-client-session');
    mkdirSync(join(modules, '@types'), { recursive: true });
    cpSync(join(root, 'package.json'), join(own, 'package.json'));
    cpSync(join(root, 'dist'), join(own, 'dist'), { recursive: true });
    for (const name of ['electron', 'better-sqlite3', '@types/node']) {
      symlinkSync(join(root, 'node_modules', name), join(modules, name), 'dir');
    }
    writeFileSync(
      join(app, 'app.ts'),
      [
        "import { SqliteSessionStore, openSqliteStore } from 'electron-client-session';",
        "import type { SqliteDatabaseConstructor } from 'electron-client-session';",
        "import { exposeClientSession } from 'electron-client-session/preload';",
        "import { getClientSession } from 'electron-client-session/renderer';",
        'const Database: SqliteDatabaseConstructor | undefined = undefined;',
        'void [SqliteSessionStore, openSqliteStore, exposeClientSession, getClientSession];',
        'void Database;',
        '',
      ].join('\n'),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    const args = [tsc, '--noEmit', '--strict', '--module', 'nodenext'];
    execFileSync(process.execPath, [...args, '--moduleResolution', 'nodenext', 'app.ts'], {
      cwd: app,
      encoding: 'utf8',
    });
  } catch (error) {
    const { stdout } = error as { stdout?: string };
    assert.fail(stdout ?? String(error));
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
});
