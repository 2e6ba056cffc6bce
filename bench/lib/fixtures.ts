import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ClientSession,
  createConsoleLogger,
  ElectronStoreSessionStore,
  MemorySessionStore,
  SqliteSessionStore,
} from '../../src/main';
import { openSqliteStore } from '../../src/main/openSqliteStore';
import type { ClientSessionOptions, KeyValueStore, SessionStore } from '../../src/main';

export type StoreKind = 'memory' | 'sqlite' | 'sqlite-default' | 'electron-store';

export const STORE_KINDS: readonly StoreKind[] = [
  'memory',
  'sqlite',
  'sqlite-default',
  'electron-store',
];

export const STORE_LABELS: Record<StoreKind, string> = {
  memory: 'MemorySessionStore',
  sqlite: 'SqliteSessionStore',
  'sqlite-default': 'openSqliteStore (app default)',
  'electron-store': 'ElectronStoreSessionStore (conf)',
};

/** One place for a store's data: opening it again gives the same data, as after a restart. */
export interface StoreFixture {
  readonly kind: StoreKind;
  /** The main data file (none for memory). */
  readonly path: string | undefined;
  open(): SessionStore;
  /** The files that hold the data now, with their sizes in bytes (none for memory). */
  files(): { readonly name: string; readonly bytes: number }[];
}

/**
 * Loads `conf`, the package electron-store extends with Electron's paths and IPC.
 * electron-store itself imports `electron` and cannot load in plain Node; `conf` with an
 * absolute `cwd` is the same storage code.
 */
export async function loadConf() {
  const module = await import('conf');
  return module.default;
}

export type ConfClass = Awaited<ReturnType<typeof loadConf>>;

/** Temporary folders made by the run, removed by {@link removeTempDirs}. */
const tempDirs: string[] = [];

export function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-bench-'));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function makeFixture(kind: StoreKind, Conf: ConfClass): StoreFixture {
  if (kind === 'memory') {
    const store = new MemorySessionStore();
    return { kind, path: undefined, open: () => store, files: () => [] };
  }

  const dir = makeTempDir();
  if (kind === 'sqlite' || kind === 'sqlite-default') {
    const path = join(dir, 'client-session.sqlite');
    return {
      kind,
      path,
      // openSqliteStore is what createClientSession uses: a file check at open, then a
      // ResilientStore around the SqliteSessionStore.
      open: () =>
        kind === 'sqlite'
          ? new SqliteSessionStore({ path })
          : openSqliteStore({ path, logger: silentLogger }),
      files: () => sizes([path, `${path}-wal`, `${path}-shm`]),
    };
  }

  const path = join(dir, 'client-session.json');
  const open = () => new ElectronStoreSessionStore({ store: openConf(Conf, dir) });
  return { kind, path, open, files: () => sizes([path]) };
}

/** A `conf` instance as electron-store would make it, in `dir`; `conf` wants an absolute cwd. */
export function openConf(Conf: ConfClass, dir: string): KeyValueStore {
  return new Conf({ cwd: dir, configName: 'client-session' });
}

function sizes(paths: string[]): { name: string; bytes: number }[] {
  const found: { name: string; bytes: number }[] = [];
  for (const path of paths) {
    try {
      found.push({ name: path.slice(path.lastIndexOf('/') + 1), bytes: statSync(path).size });
    } catch {
      // Not there (a -wal after a checkpoint that truncated it, say): counts as nothing.
    }
  }
  return found;
}

export const silentLogger = createConsoleLogger('silent');

export function openSession(store: SessionStore, extra: Partial<ClientSessionOptions> = {}) {
  return new ClientSession({ store, logger: silentLogger, ...extra });
}

/**
 * Event ids to stamp with, made ahead so that the timings hold no UUID generation. The
 * length is a power of two so that `ids[i & (length - 1)]` cycles through them.
 */
export function eventIdPool(size = 4096): readonly string[] {
  return Array.from({ length: size }, () => randomUUID());
}
