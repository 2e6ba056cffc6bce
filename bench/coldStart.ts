/**
 * Child process of the benchmark: times the first entity in a fresh Node process, where the
 * first SqliteSessionStore also loads better-sqlite3's native addon and nothing is warm yet.
 * Usage: node --import tsx bench/coldStart.ts <existing database> <mode>, where mode is
 * - include-open: the timing starts before `new SqliteSessionStore` (addon loading included);
 * - include-open-default: the same with `openSqliteStore`, as `createClientSession` opens it;
 * - include-open-preloaded: the same after `require('better-sqlite3')`, outside the timing;
 * - exclude-open: the store is opened first; the timing starts at `new ClientSession`.
 * Prints one JSON line: { "ns": <nanoseconds> }.
 */
import { ClientSession, createConsoleLogger, SqliteSessionStore } from '../src/main';
import { openSqliteStore } from '../src/main/openSqliteStore';
import { COLD_MODES } from './lib/coldModes';
import type { ColdMode } from './lib/coldModes';

const [path, mode] = process.argv.slice(2) as [string | undefined, ColdMode | undefined];
if (path === undefined || mode === undefined || !COLD_MODES.includes(mode)) {
  throw new Error(`usage: coldStart.ts <database path> <${COLD_MODES.join('|')}>`);
}
if (mode === 'include-open-preloaded') require('better-sqlite3');

const logger = createConsoleLogger('silent');
const eventId = '6f2a0c3e-8a1b-4c2d-9e3f-0a1b2c3d4e5f';

let start = process.hrtime.bigint();
const store =
  mode === 'include-open-default'
    ? openSqliteStore({ path, logger })
    : new SqliteSessionStore({ path });
if (mode === 'exclude-open') start = process.hrtime.bigint();
const session = new ClientSession({ store, logger });
session.stamp(eventId, Date.now());
const ns = Number(process.hrtime.bigint() - start);

session.close();
process.stdout.write(`${JSON.stringify({ ns })}\n`);
