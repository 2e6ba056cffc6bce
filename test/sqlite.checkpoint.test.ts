// WAL checkpoints run in a worker thread, never inside a commit of the store's thread, and the
// -wal file stays short. Real better-sqlite3 files, a real worker thread, real child processes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import Database from 'better-sqlite3';

import { SqliteSessionStore } from '../src/main/SqliteSessionStore';
import { CHECKPOINT_EVERY_WRITES, WalCheckpointer } from '../src/main/WalCheckpointer';
import {
  checkpointerOf,
  sessionRecord,
  settle,
  walBytes,
  walBytesFor,
  walSalt,
} from './support/checkpoints';
import { tempDir } from './support/tmp';

const K = CHECKPOINT_EVERY_WRITES;
/** SQLite's automatic checkpoint runs in the commit that leaves this many pages in the WAL. */
const AUTOCHECKPOINT_PAGES = 1000;

const dir = tempDir('ecs-checkpoint-');
let files = 0;
const newPath = () => join(dir, `store-${files++}.sqlite`);

describe('WAL checkpoints in a worker thread', () => {
  test(`a store written fewer than ${K} times starts no worker`, async () => {
    const store = new SqliteSessionStore({ path: newPath() });
    for (let i = 0; i < K - 1; i++) store.setSession(sessionRecord(i));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(checkpointerOf(store)?.stats.started, false);
    store.close();
  });

  test('over 3000 commits the WAL stays near 128 pages, started over by the worker, never in a commit', async () => {
    const path = newPath();
    const store = new SqliteSessionStore({ path });
    const checkpointer = checkpointerOf(store)!;
    store.setSession(sessionRecord(0));

    let maxWal = 0;
    let restartsInCommits = 0;
    let restartsInRounds = 0;
    for (let i = 1; i <= 3000; i++) {
      const salt = walSalt(path);
      store.transaction(() => {
        store.getSession();
        store.setSession(sessionRecord(i));
      });
      maxWal = Math.max(maxWal, walBytes(path));
      if ((i + 1) % K !== 0) {
        // The worker is idle: its last round is complete and this commit does not wake it.
        if (walSalt(path) !== salt) restartsInCommits += 1;
        continue;
      }
      // This commit woke the worker; the app then has the quiet moment it has between events.
      await settle(checkpointer, (i + 1) / K);
      if (walSalt(path) !== salt) restartsInRounds += 1;
    }

    const rounds = Math.floor(3001 / K);
    assert.equal(checkpointer.stats.completed, rounds);
    // Each round ended with the worker starting the WAL over; no other commit of the store did.
    assert.equal(restartsInRounds, rounds);
    assert.equal(restartsInCommits, 0);
    assert.ok(maxWal <= walBytesFor(K + 16), `the WAL reached ${maxWal} bytes`);
    // SQLite checkpoints inside a commit only once the WAL holds 1000 pages: it never got there.
    assert.ok(maxWal < walBytesFor(AUTOCHECKPOINT_PAGES));
    store.close();

    const reopened = new SqliteSessionStore({ path });
    assert.deepEqual(reopened.getSession(), sessionRecord(3000));
    reopened.close();
  });

  test("with the writer's own checkpoints off, the worker alone keeps the WAL short", async () => {
    const path = newPath();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
    const write = db.prepare('INSERT OR REPLACE INTO t (k, v) VALUES (1, ?)');

    // Without a checkpoint the WAL grows by a page with every commit.
    for (let i = 0; i < 300; i++) write.run(`unchecked ${i}`);
    assert.ok(walBytes(path) >= walBytesFor(300));
    db.pragma('wal_checkpoint(TRUNCATE)');

    const checkpointer = new WalCheckpointer({ path, Database });
    let maxWal = 0;
    for (let i = 1; i <= 2000; i++) {
      write.run(`value ${i}`);
      checkpointer.wrote();
      maxWal = Math.max(maxWal, walBytes(path));
      if (i % K === 0) await settle(checkpointer, i / K);
    }
    assert.ok(maxWal <= walBytesFor(K + 1), `the WAL reached ${maxWal} bytes`);
    checkpointer.close();
    assert.equal(db.prepare('SELECT v FROM t WHERE k = 1').pluck().get(), 'value 2000');
    db.close();
  });

  test('two connections writing to one file in turn keep the WAL short', async () => {
    const path = newPath();
    const a = new SqliteSessionStore({ path, name: 'a' });
    const b = new SqliteSessionStore({ path, name: 'b' });
    const saltBefore = (a.setSession(sessionRecord(0)), walSalt(path));

    let maxWal = 0;
    for (let i = 1; i <= 1500; i++) {
      a.setSession(sessionRecord(i));
      b.setSession(sessionRecord(i));
      maxWal = Math.max(maxWal, walBytes(path));
      if (i % K === 0) {
        await settle(checkpointerOf(a)!, Math.floor((i + 1) / K));
        await settle(checkpointerOf(b)!, i / K);
      }
    }

    assert.ok((walSalt(path) - saltBefore) >>> 0 >= Math.floor(1500 / K) - 1);
    assert.ok(maxWal <= walBytesFor(2 * K + 16), `the WAL reached ${maxWal} bytes`);
    a.close();
    b.close();
  });

  test('close() stops the worker and folds the WAL back: one file remains', async () => {
    const path = newPath();
    const store = new SqliteSessionStore({ path });
    for (let i = 0; i < K; i++) store.setSession(sessionRecord(i));
    await settle(checkpointerOf(store)!, 1);
    store.setSession(sessionRecord(K));

    store.close();
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith(path.slice(dir.length + 1))),
      [path.slice(dir.length + 1)],
    );
    const reopened = new SqliteSessionStore({ path });
    assert.deepEqual(reopened.getSession(), sessionRecord(K));
    reopened.close();
  });

  test('closing while the worker is still starting leaves one file and no worker', async () => {
    const path = newPath();
    const store = new SqliteSessionStore({ path });
    for (let i = 0; i < K; i++) store.setSession(sessionRecord(i));
    // One turn: the worker thread is created, and has most likely not opened the file yet.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(checkpointerOf(store)!.stats.started, true);

    store.close();
    const name = path.slice(dir.length + 1);
    assert.deepEqual(
      readdirSync(dir).filter((entry) => entry.startsWith(name)),
      [name],
    );
  });

  test('a writer that never yields to the event loop is still bounded by SQLite itself', () => {
    const path = newPath();
    const store = new SqliteSessionStore({ path });
    let maxWal = 0;
    for (let i = 0; i < 1500; i++) {
      store.setSession(sessionRecord(i));
      maxWal = Math.max(maxWal, walBytes(path));
    }
    assert.equal(checkpointerOf(store)!.stats.started, false);
    assert.ok(maxWal <= walBytesFor(AUTOCHECKPOINT_PAGES + 16), `the WAL reached ${maxWal}`);
    store.close();
  });

  test('checkpointInWorker: false starts no worker', async () => {
    const store = new SqliteSessionStore({ path: newPath(), checkpointInWorker: false });
    for (let i = 0; i < 2 * K; i++) store.setSession(sessionRecord(i));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(checkpointerOf(store), undefined);
    store.close();
  });
});

describe('the worker never keeps a process alive', () => {
  const child = join(__dirname, 'support', 'checkpointChild.ts');
  for (const mode of ['close', 'leave-open']) {
    test(`a process exits by itself once its work is done (store: ${mode})`, () => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', child, newPath(), mode], {
        encoding: 'utf8',
        // Only a guard against a hang: the process needs well under a second.
        timeout: 60_000,
      });
      assert.equal(run.signal, null, 'the process had to be killed: something kept it alive');
      assert.equal(run.status, 0, run.stderr);
      const stats = JSON.parse(run.stdout) as { started: boolean; completed: number };
      assert.equal(stats.started, true);
      assert.ok(stats.completed >= 1);
    });
  }
});
