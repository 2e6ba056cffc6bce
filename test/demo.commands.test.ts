// The README's two commands in any order: `npm start` leaves better-sqlite3 built for Electron,
// `npm test` needs it built for Node.js. scripts/ensure-sqlite-addon.mjs runs before each of them
// (package.json) and puts the addon right. Here it runs on a scratch copy of better-sqlite3 (never
// the project's own), with its addon replaced to stand for one built for another ABI, and with
// the rebuild command stubbed (a real rebuild compiles for about 100 s).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { SQLITE_ADDON } from '../demo/packaging';
import { tempDir } from './support/tmp';

const PROJECT = join(__dirname, '..');
const SCRIPT = join(PROJECT, 'scripts', 'ensure-sqlite-addon.mjs');
const INSTALLED = join(PROJECT, 'node_modules', 'better-sqlite3');
/** What Forge writes once it has built the addon for Electron 41 (ABI 145) on x64. */
const ELECTRON_META = 'x64--145';

interface Scratch {
  readonly dir: string;
  readonly addon: string;
  readonly meta: string;
  /** One line per run of the stubbed rebuild. */
  rebuilds(): number;
}

/** A project folder whose better-sqlite3 is a copy, JavaScript and the Node.js addon only. */
function scratchProject(): Scratch {
  const dir = tempDir('ecs-sqlite-addon-');
  writeFileSync(join(dir, 'package.json'), '{ "name": "scratch", "private": true }\n');
  const module = join(dir, 'node_modules', 'better-sqlite3');
  cpSync(join(INSTALLED, 'lib'), join(module, 'lib'), { recursive: true });
  copyFileSync(join(INSTALLED, 'package.json'), join(module, 'package.json'));
  const addon = join(module, SQLITE_ADDON);
  mkdirSync(join(addon, '..'), { recursive: true });
  copyFileSync(join(INSTALLED, SQLITE_ADDON), addon);
  for (const name of ['bindings', 'file-uri-to-path']) {
    symlinkSync(join(PROJECT, 'node_modules', name), join(dir, 'node_modules', name));
  }
  const log = join(dir, 'rebuilds.log');
  return {
    dir,
    addon,
    meta: join(addon, '..', '.forge-meta'),
    rebuilds: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0),
  };
}

/** As `npm start` leaves it: an addon this Node.js cannot load, and Forge's note. */
function builtForElectron(scratch: Scratch): void {
  writeFileSync(scratch.addon, 'stands for an addon built for another NODE_MODULE_VERSION');
  writeFileSync(scratch.meta, ELECTRON_META);
}

/**
 * A rebuild command that logs its run and, if `fixes`, puts the Node.js addon back as
 * `npm rebuild better-sqlite3` would, leaving .forge-meta alone as prebuild-install does.
 */
function rebuildStub(scratch: Scratch, fixes: boolean): string {
  const stub = join(scratch.dir, 'rebuild-stub.js');
  const copy = `require('fs').copyFileSync(${JSON.stringify(join(INSTALLED, SQLITE_ADDON))}, ${JSON.stringify(scratch.addon)});`;
  writeFileSync(
    stub,
    `require('fs').appendFileSync(${JSON.stringify(join(scratch.dir, 'rebuilds.log'))}, 'run\\n');\n${fixes ? copy : ''}\n`,
  );
  return `"${process.execPath}" "${stub}"`;
}

function run(scratch: Scratch, mode: string, rebuild = rebuildStub(scratch, true)) {
  const result = spawnSync(process.execPath, [SCRIPT, mode], {
    cwd: scratch.dir,
    env: { ...process.env, ECS_SQLITE_REBUILD: rebuild },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Whether plain Node.js loads the scratch copy and opens a database with it. */
function loadsInNode(scratch: Scratch): boolean {
  const code = "new (require(process.argv[1]))(':memory:').close()";
  const module = join(scratch.dir, 'node_modules', 'better-sqlite3');
  return spawnSync(process.execPath, ['-e', code, module]).status === 0;
}

describe('better-sqlite3 for npm test and for npm start, in any order', () => {
  test('package.json runs the script before npm test and before npm start', () => {
    const { scripts } = JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8'));
    assert.equal(scripts.pretest, 'node scripts/ensure-sqlite-addon.mjs node');
    assert.equal(scripts.prestart, 'node scripts/ensure-sqlite-addon.mjs electron');
  });

  test('before npm test, a Node.js build is left alone and nothing is rebuilt', () => {
    const scratch = scratchProject();
    const { status, output } = run(scratch, 'node');
    assert.equal(status, 0, output);
    assert.equal(output, '');
    assert.equal(scratch.rebuilds(), 0);
  });

  test('before npm test, an addon built for Electron is rebuilt for Node.js and its .forge-meta removed', () => {
    const scratch = scratchProject();
    builtForElectron(scratch);
    assert.equal(loadsInNode(scratch), false);

    const { status, output } = run(scratch, 'node');
    assert.equal(status, 0, output);
    assert.equal(scratch.rebuilds(), 1);
    assert.ok(loadsInNode(scratch));
    // Otherwise Forge would take the Node.js build for its own and skip the next rebuild.
    assert.equal(existsSync(scratch.meta), false);
    assert.match(output, /does not load in Node\.js .*ERR_DLOPEN_FAILED/s);
    assert.match(output, /rebuilding it for Node\.js/);
  });

  test('before npm test, a rebuild that does not help fails with the command to run', () => {
    const scratch = scratchProject();
    builtForElectron(scratch);
    const stub = rebuildStub(scratch, false);
    const { status, output } = run(scratch, 'node', stub);
    assert.equal(status, 1);
    assert.equal(scratch.rebuilds(), 1, 'tried once, no loop');
    assert.ok(output.includes(`still does not load after "${stub}"`), output);
  });

  test('a .forge-meta over a Node.js build is removed before either command', () => {
    for (const mode of ['node', 'electron']) {
      const scratch = scratchProject();
      // As `npm rebuild better-sqlite3` leaves it after npm start: prebuild-install put a Node.js
      // build in place and kept Forge's note, so Forge would skip its rebuild for Electron.
      writeFileSync(scratch.meta, ELECTRON_META);
      const { status, output } = run(scratch, mode);
      assert.equal(status, 0, output);
      assert.equal(existsSync(scratch.meta), false, mode);
      assert.match(output, /removed .*\.forge-meta/, mode);
      assert.equal(scratch.rebuilds(), 0, mode);
    }
  });

  test("before npm start, Forge's own build for Electron and its .forge-meta are left alone", () => {
    const scratch = scratchProject();
    builtForElectron(scratch);
    const { status, output } = run(scratch, 'electron');
    assert.equal(status, 0, output);
    assert.equal(output, '');
    assert.equal(readFileSync(scratch.meta, 'utf8'), ELECTRON_META);
    assert.equal(scratch.rebuilds(), 0);
  });

  test('without better-sqlite3 installed, or with no mode, it fails and says what to do', () => {
    const empty = tempDir('ecs-sqlite-addon-empty-');
    writeFileSync(join(empty, 'package.json'), '{ "name": "empty" }\n');
    const missing = spawnSync(process.execPath, [SCRIPT, 'node'], { cwd: empty, encoding: 'utf8' });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /better-sqlite3 is not installed .*: run npm ci first/);

    const scratch = scratchProject();
    const { status, output } = run(scratch, 'test');
    assert.equal(status, 1);
    assert.match(output, /usage: .* node\|electron \(got test\)/);
  });
});
