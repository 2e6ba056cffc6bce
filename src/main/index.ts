export { ClientSession } from './ClientSession';
export type {
  ClientSessionOptions,
  SessionChangeListener,
  SessionStartListener,
} from './ClientSession';
export type { SessionStore, StoredSession } from './SessionStore';
export { MemorySessionStore } from './MemorySessionStore';
export { SqliteSessionStore, SQLITE_SCHEMA_VERSION } from './SqliteSessionStore';
export type { SqliteSessionStoreOptions } from './SqliteSessionStore';
export type {
  SqliteDatabase,
  SqliteDatabaseConstructor,
  SqliteOpenOptions,
  SqliteStatement,
  SqliteTransaction,
} from './SqliteDatabase';
export { openSqliteStore } from './openSqliteStore';
export type { OpenSqliteStoreOptions } from './openSqliteStore';
export { ResilientStore } from './ResilientStore';
export { describeStoreError } from './describeStoreError';
export type { ResilientStoreOptions } from './ResilientStore';
export { ElectronStoreSessionStore } from './ElectronStoreSessionStore';
export type { ElectronStoreSessionStoreOptions, KeyValueStore } from './ElectronStoreSessionStore';
export { clientSessionPlugin } from './clientSessionPlugin';
export type {
  ClientSessionPluginOptions,
  ClientSessionTrackerPlugin,
  PayloadBuilderLike,
} from './clientSessionPlugin';
export { createClientSession, DEFAULT_STORE_FILE_NAME } from './electron/createClientSession';
export type {
  CreateClientSessionOptions,
  ElectronClientSession,
} from './electron/createClientSession';
export { FocusTracker } from './electron/FocusTracker';
export type { FocusTrackerOptions } from './electron/FocusTracker';
export type { ElectronTrackerPlugin, TrackerCoreLike } from './electron/trackerPlugin';
export type * from './electron/ElectronSeam';
export * from './ipc';
export * from '../shared/entity';
export { ClientSessionError, PREFIX } from '../shared/errors';
export type { ClientSessionErrorCode } from '../shared/errors';
export { createConsoleLogger } from '../shared/logger';
export type { Logger, LogLevel } from '../shared/logger';
