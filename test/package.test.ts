// The package as an app loads it: through its name and `exports`, from the built files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
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

/** Page code that relies on the opt-in global: it compiles only if `window` declares the bridge. */
const PAGE_USING_THE_GLOBAL = [
  "import type { ClientSessionBridge, SessionSnapshot } from 'electron-client-session/renderer';",
  'type Equal<A, B> =',
  '  (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;',
  'const exact: Equal<typeof window.electronClientSession, ClientSessionBridge | undefined> = true;',
  'const stamped = window.electronClientSession?.stamp(crypto.randomUUID(), Date.now());',
  'const index: number | undefined = stamped?.ok ? stamped.value.eventIndex : undefined;',
  'window.electronClientSession?.subscribe((snapshot: SessionSnapshot) => snapshot.isBackground);',
  '// @ts-expect-error stamp takes the event id as a string',
  'window.electronClientSession?.stamp(42, Date.now());',
  'void [exact, index];',
  '',
].join('\n');

/** Type-checks `source` as a bundled renderer page of an app that installed the package. */
function typecheckPage(source: string): { ok: true } | { ok: false; output: string } {
  const app = mkdtempSync(join(tmpdir(), 'ecs-page-'));
  try {
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(root, join(app, 'node_modules', 'electron-client-session'), 'dir');
    writeFileSync(join(app, 'page.ts'), source);
    const compilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2022', 'dom'],
      types: [],
    };
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['page.ts'] }),
    );
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', app], { cwd: app, encoding: 'utf8' });
    return { ok: true };
  } catch (error) {
    const { stdout } = error as { stdout?: string };
    return { ok: false, output: stdout ?? String(error) };
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}

test('the opt-in globals type window.electronClientSession as the bridge', () => {
  const result = typecheckPage(
    `import 'electron-client-session/renderer/globals';\n${PAGE_USING_THE_GLOBAL}`,
  );
  assert.ok(result.ok, result.ok ? '' : result.output);
});

test('without the opt-in, window.electronClientSession is not declared', () => {
  const result = typecheckPage(PAGE_USING_THE_GLOBAL);
  assert.equal(result.ok, false);
  assert.match(
    result.ok ? '' : result.output,
    /Property 'electronClientSession' does not exist on type 'Window/,
  );
});

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

test('the published files hold the licence, the entry points and every source a map names', () => {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    }),
  ) as [{ files: { path: string }[] }];
  const files = new Set(packed.files.map((file) => file.path));

  for (const path of ['LICENSE', 'README.md', 'package.json', 'dist/preload/standalone.js']) {
    assert.ok(files.has(path), `${path} is published`);
  }
  for (const path of ['main', 'preload', 'renderer'].map((entry) => `dist/${entry}/index.d.ts`)) {
    assert.ok(files.has(path), `${path} is published`);
  }
  assert.ok(![...files].some((path) => path.startsWith('test/')), 'no tests are published');

  // A source map whose sources are not shipped sends a debugger to files the app lacks.
  const maps = [...files].filter((path) => path.endsWith('.js.map'));
  assert.ok(maps.length > 10, `found ${maps.length} source maps`);
  for (const map of maps) {
    const { sources } = JSON.parse(readFileSync(join(root, map), 'utf8')) as { sources: string[] };
    for (const source of sources) {
      const path = posix.normalize(posix.join(posix.dirname(map), source));
      assert.ok(files.has(path), `${map} names ${source}, which is published`);
    }
  }
});
