import type { StorageMechanism } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import type { SessionStore, StoredSession } from './SessionStore';
import { parseStoredSession } from './storedSession';

/**
 * What the store needs of an electron-store (or `conf`) instance: its `get`, `set` and
 * `delete`. Passing the instance in keeps electron-store out of this package's imports.
 */
export interface KeyValueStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
}

export interface ElectronStoreSessionStoreOptions {
  /** An electron-store instance, for example `new Store({ name: 'client-session' })`. */
  readonly store: KeyValueStore;
  /**
   * Name of the session. Several sessions may share one file; they share the user id.
   * @default 'default'
   */
  readonly name?: string;
  /**
   * The top-level key everything is kept under.
   * @default 'electronClientSession'
   */
  readonly key?: string;
}

interface Saved {
  userId?: string;
  sessions?: Record<string, unknown>;
}

/**
 * Keeps sessions in an electron-store JSON file, for apps that already keep settings there.
 * Reports `LOCAL_STORAGE`, the schema's closest value.
 *
 * @remarks
 * electron-store rewrites the whole file on every write (atomically), and it offers no lock
 * between processes: prefer {@link SqliteSessionStore} when a second process may share it.
 */
export class ElectronStoreSessionStore implements SessionStore {
  readonly storageMechanism: StorageMechanism = 'LOCAL_STORAGE';
  private readonly kv: KeyValueStore;
  private readonly name: string;
  private readonly key: string;

  constructor(options: ElectronStoreSessionStoreOptions) {
    const kv = options?.store;
    if (kv === undefined || typeof kv.get !== 'function' || typeof kv.set !== 'function') {
      throw new ClientSessionError(
        'INVALID_OPTION',
        'new ElectronStoreSessionStore(options) needs options.store, an electron-store instance',
      );
    }
    this.kv = kv;
    this.name = options.name ?? 'default';
    this.key = options.key ?? 'electronClientSession';
  }

  getSession(): StoredSession | undefined {
    const value = this.read().sessions?.[this.name];
    if (value === undefined) return undefined;
    return parseStoredSession(value, `electron-store key "${this.key}"`);
  }

  setSession(session: StoredSession): void {
    const saved = this.read();
    this.kv.set(this.key, {
      ...saved,
      userId: saved.userId ?? session.userId,
      sessions: { ...saved.sessions, [this.name]: { ...session } },
    });
  }

  deleteSession(): void {
    const saved = this.read();
    if (saved.sessions === undefined || !(this.name in saved.sessions)) return;
    const sessions = { ...saved.sessions };
    delete sessions[this.name];
    this.kv.set(this.key, { ...saved, sessions });
  }

  claimUserId(candidate: string): string {
    const saved = this.read();
    if (typeof saved.userId === 'string') return saved.userId;
    this.kv.set(this.key, { ...saved, userId: candidate });
    return candidate;
  }

  private read(): Saved {
    const value = this.kv.get(this.key);
    return value !== null && typeof value === 'object' ? (value as Saved) : {};
  }
}
