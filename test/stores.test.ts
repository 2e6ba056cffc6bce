import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import Conf from 'conf';
import Database from 'better-sqlite3';
import type ElectronStore from 'electron-store';

import {
  ClientSession,
  ElectronStoreSessionStore,
  MemorySessionStore,
  SqliteSessionStore,
} from '../src/main';
import { clientSessionPlugin, openSqliteStore } from '../src/main';
import { ResilientStore } from '../src/main/ResilientStore';
import type {
  OpenSqliteStoreOptions,
  KeyValueStore,
  SessionStore,
  SqliteDatabaseConstructor,
  SqliteSessionStoreOptions,
  StoredSession,
} from '../src/main';
import { FakeClock } from './support/clock';
import { eventId } from './support/ids';
import { recordingLogger } from './support/reliability';
import type { RecordingLogger } from './support/reliability';
import { tempDir } from './support/tmp';

const dir = tempDir();

const record: StoredSession = {
  version: 1,
  userId: '6a2f41a3-c54c-4ea4-9d2e-5d6a9f0c6b11',
  sessionId: '0b5c2c1c-3f1e-4a0b-8f7b-2c64d3b1a9e0',
  previousSessionId: null,
  sessionIndex: 3,
  eventIndex: 128,
  firstEventId: 'c7a5e4a2-8d1b-4e38-9a53-0f4a3d6f1e22',
  firstEventTimestamp: '2026-01-31T09:15:02.123Z',
  lastActivity: 1769850902123,
  isBackground: false,
  newSessionDue: false,
  anonymous: false,
};

// Type-level check: a real electron-store instance fits the store's seam.
type Fits = ElectronStore extends KeyValueStore ? true : never;
const fits: Fits = true;
// And better-sqlite3's real class fits the structural type the package's typings declare.
type DatabaseFits = typeof Database extends SqliteDatabaseConstructor ? true : never;
const databaseFits: DatabaseFits = true;

const stores: Record<string, (name?: string) => SessionStore> = {
  memory: () => new MemorySessionStore(),
  sqlite: (name) => new SqliteSessionStore({ path: join(dir, 'shared.sqlite'), name }),
  'electron-store (conf)': (name) =>
    new ElectronStoreSessionStore({ store: new Conf({ cwd: join(dir, 'conf') }), name }),
};

let fresh = 0;
/** A store of each kind that nothing has written to yet. */
const freshStores: Record<string, () => SessionStore> = {
  memory: () => new MemorySessionStore(),
  sqlite: () => new SqliteSessionStore({ path: join(dir, `fresh${fresh++}.sqlite`) }),
  'electron-store (conf)': () =>
    new ElectronStoreSessionStore({ store: new Conf({ cwd: join(dir, `conf-fresh${fresh++}`) }) }),
};

for (const [kind, make] of Object.entries(stores)) {
  describe(`${kind} store`, () => {
    test('gives back what it was given, and nothing after deleteSession()', () => {
      const store = make(`roundtrip-${kind}`);
      assert.equal(store.getSession(), undefined);
      store.setSession(record);
      assert.deepEqual(store.getSession(), record);
      store.setSession({ ...record, eventIndex: 256 });
      assert.equal(store.getSession()?.eventIndex, 256);
      store.deleteSession();
      assert.equal(store.getSession(), undefined);
      store.close?.();
    });

    test('claimUserId keeps the first id it was given', () => {
      const store = freshStores[kind]!();
      assert.equal(typeof store.claimUserId, 'function');
      const first = store.claimUserId?.(record.userId);
      const second = store.claimUserId?.('11111111-1111-4111-8111-111111111111');
      assert.equal(first, record.userId);
      assert.equal(second, record.userId);
      store.close?.();
    });

    test('reports a storageMechanism the schema allows', () => {
      const store = make();
      assert.equal(store.storageMechanism, kind === 'sqlite' ? 'SQLITE' : 'LOCAL_STORAGE');
      store.close?.();
    });
  });
}

describe('SqliteSessionStore', () => {
  test('creates its folder and a WAL database readable by the user only', () => {
    const path = join(dir, 'deep', 'er', 'client-session.sqlite');
    const store = new SqliteSessionStore({ path });
    store.setSession(record);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    store.close();
    assert.equal(existsSync(`${path}-wal`), false, 'close() folds the WAL back');
  });

  test('keeps named sessions apart in one file', () => {
    const path = join(dir, 'named.sqlite');
    const a = new SqliteSessionStore({ path, name: 'a' });
    const b = new SqliteSessionStore({ path, name: 'b' });
    a.setSession(record);
    assert.equal(b.getSession(), undefined);
    a.close();
    b.close();
  });

  test('refuses an empty file at its path, which no store of its own ever is', () => {
    const path = join(dir, 'empty.sqlite');
    writeFileSync(path, '');
    assert.throws(() => new SqliteSessionStore({ path }), {
      name: 'ClientSessionError',
      code: 'STORE_FAILED',
      message: `electron-client-session: the session store ${path} is an empty file (0 bytes), not a session store`,
    });
    assert.equal(statSync(path).size, 0);
  });

  test('refuses a folder at its path with a prefixed error naming it', () => {
    const path = join(dir, 'a-folder.sqlite');
    mkdirSync(path);
    assert.throws(() => new SqliteSessionStore({ path }), {
      name: 'ClientSessionError',
      code: 'STORE_FAILED',
      message: new RegExp(
        `^electron-client-session: the session store ${path} is a folder, not a database file`,
      ),
    });
    assert.deepEqual(readdirSync(path), []);
  });

  test('refuses a bad path with a prefixed error', () => {
    assert.throws(
      () => new SqliteSessionStore({ path: 42 as unknown as string }),
      /^ClientSessionError: electron-client-session: .*options\.path/,
    );
  });

  test('opens with the Database class given, which the declared type accepts', () => {
    const store = new SqliteSessionStore({ path: join(dir, 'given-class.sqlite'), Database });
    store.setSession(record);
    assert.deepEqual(store.getSession(), record);
    store.close();
    assert.equal(databaseFits, true);
  });

  test('every store method after close() throws a CLOSED error, close() again does nothing', () => {
    const store = new SqliteSessionStore({ path: join(dir, 'closed.sqlite') });
    store.close();
    const calls: [string, () => unknown][] = [
      ['getSession', () => store.getSession()],
      ['setSession', () => store.setSession(record)],
      ['deleteSession', () => store.deleteSession()],
      ['transaction', () => store.transaction(() => 1)],
      ['claimUserId', () => store.claimUserId(record.userId)],
    ];
    for (const [method, call] of calls) {
      assert.throws(call, {
        name: 'ClientSessionError',
        code: 'CLOSED',
        message: new RegExp(`^electron-client-session: .*closed: ${method}\\(\\) cannot be called`),
      });
    }
    store.close();
  });
});

describe('SQLite store options: a mistake throws INVALID_OPTION before the disk is touched', () => {
  const path = join(dir, 'refused', 'client-session.sqlite');
  const relative = 'ecs-relative-client-session.sqlite';
  const mistakes: [string, Partial<SqliteSessionStoreOptions>, RegExp][] = [
    ['an empty path', { path: '' }, /needs options\.path, the absolute path/],
    ['a relative path', { path: relative }, /options\.path must be an absolute file path/],
    ['a negative busyTimeoutMs', { path, busyTimeoutMs: -1 }, /options\.busyTimeoutMs/],
    ['busyTimeoutMs NaN', { path, busyTimeoutMs: NaN }, /options\.busyTimeoutMs.*got NaN/],
    ['busyTimeoutMs not a number', { path, busyTimeoutMs: '100' as never }, /busyTimeoutMs/],
    ['busyTimeoutMs not whole', { path, busyTimeoutMs: 1.5 }, /busyTimeoutMs/],
    ['busyTimeoutMs past 32 bits', { path, busyTimeoutMs: 2 ** 31 }, /busyTimeoutMs/],
    ['a Database that is an arrow function', { path, Database: (() => ({})) as never }, /Database/],
    ['a Database that is an object', { path, Database: {} as never }, /options\.Database/],
    ['an empty name', { path, name: '' }, /options\.name/],
    ['checkpointInWorker not boolean', { path, checkpointInWorker: 'yes' as never }, /checkpoint/],
    ['a logger without methods', { path, logger: 'console' as never }, /options\.logger must/],
  ];
  const opens: [string, (options: SqliteSessionStoreOptions) => unknown][] = [
    ['new SqliteSessionStore', (options) => new SqliteSessionStore(options)],
    ['openSqliteStore', (options) => openSqliteStore(options)],
  ];
  for (const [open, make] of opens) {
    test(`${open}: an empty or relative path, a bad busyTimeoutMs, Database, name`, () => {
      for (const [what, options, message] of mistakes) {
        assert.throws(
          () => make(options as SqliteSessionStoreOptions),
          (error: { name?: string; code?: string; message?: string }) => {
            assert.equal(error.name, 'ClientSessionError', what);
            assert.equal(error.code, 'INVALID_OPTION', what);
            assert.match(error.message ?? '', /^electron-client-session: /, what);
            assert.match(error.message ?? '', message, what);
            return true;
          },
        );
      }
      assert.equal(existsSync(join(dir, 'refused')), false);
      assert.equal(existsSync(relative), false);
    });
  }
});

describe('ElectronStoreSessionStore', () => {
  test('names that are also Object.prototype keys are sessions like any other', () => {
    const cwd = join(dir, 'conf-prototype-names');
    const open = (name: string) =>
      new ElectronStoreSessionStore({ store: new Conf({ cwd }), name });
    open('default').setSession(record);
    const names = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'];
    for (const name of names) {
      const store = open(name);
      assert.equal(store.getSession(), undefined, name);
      store.deleteSession();
      assert.equal(store.claimUserId(eventId()), record.userId, name);
    }
    assert.deepEqual(
      Object.keys(new Conf({ cwd }).get('electronClientSession.sessions') as object),
      ['default'],
    );

    names.forEach((name, i) => open(name).setSession({ ...record, sessionIndex: 10 + i }));
    names.forEach((name, i) => assert.equal(open(name).getSession()?.sessionIndex, 10 + i, name));
    assert.deepEqual(open('default').getSession(), record);
    for (const name of names) open(name).deleteSession();
    for (const name of names) assert.equal(open(name).getSession(), undefined, name);
    assert.deepEqual(open('default').getSession(), record);
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'sessionIndex'), false);
  });
});

describe('unknown options: ignored with one warning naming them, as new ClientSession() does', () => {
  const path = (name: string) => join(dir, 'unknown-options', `${name}.sqlite`);
  const session = new ClientSession({ store: new MemorySessionStore() });
  const conf = () => new Conf({ cwd: join(dir, 'conf-unknown') });
  const opens: [string, (logger: RecordingLogger) => unknown][] = [
    [
      'new SqliteSessionStore()',
      (logger) => new SqliteSessionStore({ path: path('a'), logger, busyTimeout: 5 } as never),
    ],
    [
      'openSqliteStore()',
      (logger) => openSqliteStore({ path: path('b'), logger, busyTimeout: 5 } as never),
    ],
    [
      'new ElectronStoreSessionStore()',
      (logger) => new ElectronStoreSessionStore({ store: conf(), logger, busyTimeout: 5 } as never),
    ],
    [
      'new ResilientStore()',
      (logger) =>
        new ResilientStore({ store: new MemorySessionStore(), logger, busyTimeout: 5 } as never),
    ],
    [
      'clientSessionPlugin()',
      (logger) => {
        clientSessionPlugin(session, { logger, busyTimeout: 5 } as never);
        return undefined;
      },
    ],
  ];
  for (const [call, open] of opens) {
    test(call, () => {
      const logger = recordingLogger();
      (open(logger) as { close?: () => void } | undefined)?.close?.();
      assert.deepEqual(logger.lines, [
        { level: 'warn', message: `${call} ignores unknown options: busyTimeout` },
      ]);
    });
  }

  test('every option openSqliteStore knows is taken without a warning, by it and its store', () => {
    const logger = recordingLogger();
    const options: Required<OpenSqliteStoreOptions> = {
      path: path('all'),
      name: 'all',
      busyTimeoutMs: 100,
      Database,
      checkpointInWorker: false,
      logger,
      retryAfterMs: 1000,
      maxRetryAfterMs: 2000,
      clock: Date.now,
    };
    openSqliteStore(options).close();
    new SqliteSessionStore(options).close();
    assert.deepEqual(logger.lines, [
      {
        level: 'warn',
        message:
          'new SqliteSessionStore() ignores unknown options: retryAfterMs, maxRetryAfterMs, clock',
      },
    ]);
  });
});

test('a session on the electron-store store continues after a restart', () => {
  const clock = new FakeClock();
  const cwd = join(dir, 'conf-restart');
  const open = () =>
    new ClientSession({
      store: new ElectronStoreSessionStore({ store: new Conf({ cwd }) }),
      clock: clock.now,
    });
  const a = open();
  const first = a.stamp(eventId(), clock.time);
  a.close();
  const b = open();
  const next = b.stamp(eventId(), clock.time);
  assert.equal(next.sessionId, first.sessionId);
  assert.equal(next.eventIndex, 2);
  assert.equal(next.storageMechanism, 'LOCAL_STORAGE');
  assert.equal(fits, true);
});
