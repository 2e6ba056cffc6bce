import type { StorageMechanism } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import type { SessionStore, StoredSession } from './SessionStore';
import { parseStoredSession } from './storedSession';
import { warnUnknownOptions } from './warnUnknownOptions';

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
  /**
   * Where the warning about unknown options goes (the store logs nothing else: it throws).
   * @default a console logger at level `warn`
   */
  readonly logger?: Logger;
}

const KNOWN: Record<keyof ElectronStoreSessionStoreOptions, true> = {
  store: true,
  name: true,
  key: true,
  logger: true,
};

interface Saved {
  /** Everything under the key, kept as it is when writing. */
  readonly all: Record<string, unknown>;
  readonly userId: string | undefined;
  readonly sessions: Record<string, unknown>;
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
    warnUnknownOptions(
      options,
      KNOWN,
      'new ElectronStoreSessionStore()',
      options.logger ?? createConsoleLogger(),
    );
    this.kv = kv;
    this.name = options.name ?? 'default';
    this.key = options.key ?? 'electronClientSession';
  }

  getSession(): StoredSession | undefined {
    const { sessions } = this.read();
    if (!Object.hasOwn(sessions, this.name)) return undefined;
    return parseStoredSession(sessions[this.name], `electron-store key "${this.key}"`);
  }

  setSession(session: StoredSession): void {
    const saved = this.read();
    this.kv.set(this.key, {
      ...saved.all,
      userId: saved.userId ?? session.userId,
      // A computed key: even '__proto__' becomes a key of its own, not the object's prototype.
      sessions: { ...saved.sessions, [this.name]: { ...session } },
    });
  }

  deleteSession(): void {
    const saved = this.read();
    if (!Object.hasOwn(saved.sessions, this.name)) return;
    const sessions = { ...saved.sessions };
    delete sessions[this.name];
    this.kv.set(this.key, { ...saved.all, sessions });
  }

  claimUserId(candidate: string): string {
    const saved = this.read();
    if (saved.userId !== undefined) return saved.userId;
    this.kv.set(this.key, { ...saved.all, userId: candidate });
    return candidate;
  }

  /**
   * What is kept under the key. Only own properties count: a session name such as
   * `constructor` or `toString` must not read `Object.prototype`.
   */
  private read(): Saved {
    const value = this.kv.get(this.key);
    const all = isRecord(value) ? value : {};
    const userId = Object.hasOwn(all, 'userId') ? all.userId : undefined;
    const sessions = Object.hasOwn(all, 'sessions') ? all.sessions : undefined;
    return {
      all,
      userId: typeof userId === 'string' ? userId : undefined,
      sessions: isRecord(sessions) ? sessions : {},
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
