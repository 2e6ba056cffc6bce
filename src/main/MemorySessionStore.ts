import type { StorageMechanism } from '../shared/entity';
import type { SessionStore, StoredSession } from './SessionStore';

/**
 * Keeps the session in memory only: nothing survives a restart. For tests, and for apps that
 * want a session per run. Reports `LOCAL_STORAGE`, the schema's closest value.
 */
export class MemorySessionStore implements SessionStore {
  readonly storageMechanism: StorageMechanism = 'LOCAL_STORAGE';

  private session: StoredSession | undefined;
  private userId: string | undefined;

  getSession(): StoredSession | undefined {
    return this.session === undefined ? undefined : { ...this.session };
  }

  setSession(session: StoredSession): void {
    this.session = { ...session };
    this.userId ??= session.userId;
  }

  deleteSession(): void {
    this.session = undefined;
  }

  claimUserId(candidate: string): string {
    this.userId ??= candidate;
    return this.userId;
  }
}
