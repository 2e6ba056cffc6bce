// Helpers for the WAL checkpoint tests: a session record to write, and what the -wal file says.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

import type { SqliteSessionStore } from '../../src/main/SqliteSessionStore';
import type { StoredSession } from '../../src/main/SessionStore';
import type { WalCheckpointer } from '../../src/main/WalCheckpointer';

/** A valid stored session; `i` changes its event index, so that every write is a new page. */
export function sessionRecord(i: number): StoredSession {
  return {
    version: 1,
    userId: '6a2f41a3-c54c-4ea4-9d2e-5d6a9f0c6b11',
    sessionId: '0b5c2c1c-3f1e-4a0b-8f7b-2c64d3b1a9e0',
    previousSessionId: null,
    sessionIndex: 3,
    eventIndex: 128 + i,
    firstEventId: 'c7a5e4a2-8d1b-4e38-9a53-0f4a3d6f1e22',
    firstEventTimestamp: '2026-01-31T09:15:02.123Z',
    lastActivity: 1769850902123 + i,
    isBackground: false,
    newSessionDue: false,
    anonymous: false,
  };
}

/** Bytes a WAL of `frames` pages of 4 KiB takes: a 32-byte header, 24 bytes before each page. */
export function walBytesFor(frames: number): number {
  return 32 + frames * (24 + 4096);
}

/** Size of the store's -wal file in bytes (0 when there is none). */
export function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * Salt-1 of the WAL header. SQLite adds one to it each time a writer starts the WAL over from
 * its beginning, so the difference between two readings counts the restarts in between.
 */
export function walSalt(path: string): number {
  const header = Buffer.alloc(32);
  const fd = openSync(`${path}-wal`, 'r');
  try {
    if (readSync(fd, header, 0, 32, 0) < 32) throw new Error(`${path}-wal has no header yet`);
  } finally {
    closeSync(fd);
  }
  return header.readUInt32BE(16);
}

/** The store's checkpointer (a private field: the tests look inside). */
export function checkpointerOf(store: SqliteSessionStore): WalCheckpointer | undefined {
  return (store as unknown as { checkpointer: WalCheckpointer | undefined }).checkpointer;
}

/**
 * Lets the event loop turn until the worker has completed `rounds` checkpoint rounds: the quiet
 * moment an app has between events. Fails after `limit` turns rather than hanging.
 */
export async function settle(checkpointer: WalCheckpointer, rounds: number, limit = 20_000) {
  for (let turn = 0; checkpointer.stats.completed < rounds; turn++) {
    if (turn === limit) {
      throw new Error(`the worker completed ${checkpointer.stats.completed} of ${rounds} rounds`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
