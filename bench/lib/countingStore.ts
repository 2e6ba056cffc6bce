import type { SessionStore, StoredSession } from '../../src/main';

/**
 * Passes every call through to a real store and counts the writes, so that the benchmark can
 * tell a slow stamp that wrote to the store from one that was slow for another reason (a
 * garbage collection, or another process holding the CPU).
 */
export class CountingStore implements SessionStore {
  readonly storageMechanism: SessionStore['storageMechanism'];
  /** Writes (`setSession` and `deleteSession`) so far. */
  writes = 0;
  readonly transaction?: <T>(fn: () => T) => T;
  readonly claimUserId?: (candidate: string) => string;
  readonly close?: () => void;

  constructor(private readonly inner: SessionStore) {
    this.storageMechanism = inner.storageMechanism;
    // Only what the real store offers: the engine behaves differently without a transaction.
    if (inner.transaction !== undefined) {
      this.transaction = (fn) => inner.transaction!(fn);
    }
    if (inner.claimUserId !== undefined) {
      this.claimUserId = (candidate) => inner.claimUserId!(candidate);
    }
    if (inner.close !== undefined) this.close = () => inner.close!();
  }

  getSession(): StoredSession | undefined {
    return this.inner.getSession();
  }

  setSession(session: StoredSession): void {
    this.writes += 1;
    this.inner.setSession(session);
  }

  deleteSession(): void {
    this.writes += 1;
    this.inner.deleteSession();
  }
}
