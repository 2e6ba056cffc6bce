// Makes better-sqlite3's addon in node_modules fit the command about to run, so that the README's
// two commands work in any order. There is one addon folder and two runtimes that want it:
//
// - `npm start`: Electron Forge rebuilds the addon for Electron's ABI (forge.config.ts), after
//   which plain Node.js cannot load it. `node`, run before `npm test`, sees that and rebuilds it
//   for this Node.js.
// - Forge skips that rebuild when build/Release/.forge-meta names the Electron ABI, and
//   prebuild-install (what `npm rebuild better-sqlite3` runs first) keeps that file when it puts
//   a Node.js build in place. `electron`, run before `npm start`, removes it when the addon is in
//   fact Node's, so that Forge rebuilds; `node` removes it after its own rebuild.
//
// Usage: node scripts/ensure-sqlite-addon.mjs node|electron, in the project's folder.
// ECS_SQLITE_REBUILD replaces the rebuild command (`npm rebuild better-sqlite3`); tests use it.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const PREFIX = '[ensure-sqlite-addon]';
// --ignore-scripts=false: the rebuild is the addon's install script, which an .npmrc with
// ignore-scripts=true (a common hardening) would skip, leaving the addon as it was.
const REBUILD =
  process.env.ECS_SQLITE_REBUILD || 'npm rebuild better-sqlite3 --ignore-scripts=false';
/** How a native module built for another ABI, or not built at all, fails to load. */
const NOT_FOR_THIS_NODE =
  /NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|Could not locate the bindings file/;

const say = (message) => console.log(`${PREFIX} ${message}`);
const fail = (message) => {
  console.error(`${PREFIX} ${message}`);
  process.exit(1);
};

const mode = process.argv[2];
if (mode !== 'node' && mode !== 'electron') {
  fail(`usage: node scripts/ensure-sqlite-addon.mjs node|electron (got ${mode ?? 'nothing'})`);
}

const project = process.cwd();
let moduleDir;
try {
  const require = createRequire(join(project, 'package.json'));
  moduleDir = dirname(require.resolve('better-sqlite3/package.json'));
} catch {
  fail(`better-sqlite3 is not installed in ${project}: run npm ci first`);
}
const meta = join(moduleDir, 'build', 'Release', '.forge-meta');
const shown = (path) => relative(project, path) || path;

/** Loads better-sqlite3 in a fresh Node.js process and opens a database in memory. */
function probe() {
  const code = `try {
    const Database = require(process.argv[1]);
    new Database(':memory:').close();
  } catch (error) {
    process.stderr.write([error.code, error.message].filter(Boolean).join(': '));
    process.exit(1);
  }`;
  const run = spawnSync(process.execPath, ['-e', code, moduleDir], { encoding: 'utf8' });
  if (run.status === 0) return { loads: true };
  const output = `${run.stderr ?? ''}${run.error?.message ?? ''}`.trim();
  return { loads: false, rebuildHelps: NOT_FOR_THIS_NODE.test(output), output };
}

function removeStaleMeta(why) {
  if (!existsSync(meta)) return;
  rmSync(meta);
  say(`removed ${shown(meta)}: ${why}`);
}

const first = probe();

if (mode === 'electron') {
  // A Node.js build under a .forge-meta that names Electron's ABI: Forge would skip its rebuild
  // and Electron would fail to load the addon.
  if (first.loads) {
    removeStaleMeta('the addon is a Node.js build, so electron-forge rebuilds it for Electron');
  }
  process.exit(0);
}

if (first.loads) {
  removeStaleMeta('the addon is a Node.js build; the next npm start rebuilds it for Electron');
  process.exit(0);
}
if (!first.rebuildHelps) {
  fail(
    `better-sqlite3 does not load in Node.js, for a reason a rebuild does not fix:\n${first.output}`,
  );
}

const why = /Could not locate the bindings file/.test(first.output)
  ? 'its addon was never built (an install with --ignore-scripts?)'
  : 'most likely because npm start rebuilt it for Electron';
say(
  `better-sqlite3 does not load in Node.js ${process.version} (NODE_MODULE_VERSION ` +
    `${process.versions.modules}), ${why}:\n` +
    `  ${first.output}\n${PREFIX} rebuilding it for Node.js: ${REBUILD}`,
);
const rebuild = spawnSync(REBUILD, { cwd: project, shell: true, stdio: 'inherit' });
// After prebuild-install, the file still names Electron's ABI: without it, Forge rebuilds.
rmSync(meta, { force: true });
if (rebuild.status !== 0) {
  fail(`the rebuild failed (exit code ${rebuild.status}); run it yourself: ${REBUILD}`);
}

const second = probe();
if (!second.loads) {
  fail(`better-sqlite3 still does not load after "${REBUILD}":\n${second.output}`);
}
say('better-sqlite3 now loads in Node.js; npm start rebuilds it for Electron again');
