import { STORAGE_MECHANISMS } from '../shared/entity';
import { ClientSessionError } from '../shared/errors';
import { createConsoleLogger } from '../shared/logger';
import type { Logger } from '../shared/logger';
import type { ClientSessionOptions } from './ClientSession';
import type { SessionStore } from './SessionStore';
import { assertTimeoutSeconds, assertToleranceSeconds, describeValue } from './validate';

/** `ClientSessionOptions` checked, with defaults applied and times in milliseconds. */
export interface SessionConfig {
  readonly store: SessionStore;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly foregroundTimeoutMs: number;
  readonly backgroundTimeoutMs: number;
  readonly toleranceMs: number;
  readonly continueOnRestart: boolean;
  readonly anonymous: boolean;
  readonly isBackground: boolean;
}

const KNOWN = new Set<string>([
  'store',
  'foregroundTimeout',
  'backgroundTimeout',
  'continueSessionOnRestart',
  'anonymous',
  'clock',
  'isBackground',
  'clockToleranceSeconds',
  'logger',
]);

function invalid(message: string): never {
  throw new ClientSessionError('INVALID_OPTION', message);
}

function isStore(value: unknown): value is SessionStore {
  const store = value as Partial<SessionStore> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.getSession === 'function' &&
    typeof store.setSession === 'function' &&
    typeof store.deleteSession === 'function'
  );
}

function isLogger(value: unknown): value is Logger {
  const logger = value as Partial<Logger> | null;
  return (
    typeof logger === 'object' &&
    logger !== null &&
    (['error', 'warn', 'info', 'debug'] as const).every((m) => typeof logger[m] === 'function')
  );
}

function flag(options: ClientSessionOptions, name: keyof ClientSessionOptions, fallback: boolean) {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') invalid(`options.${name} must be a boolean, got ${typeof value}`);
  return value;
}

function seconds(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  assertTimeoutSeconds(value, `options.${name}`);
  return value * 1000;
}

function toleranceMs(value: unknown): number {
  if (value === undefined) return 60_000;
  assertToleranceSeconds(value, 'options.clockToleranceSeconds');
  return value * 1000;
}

/** The entity carries the store's `storageMechanism`: only the schema's values will do. */
function assertStorageMechanism(store: SessionStore): void {
  const mechanism: unknown = store.storageMechanism;
  if ((STORAGE_MECHANISMS as readonly unknown[]).includes(mechanism)) return;
  invalid(
    `options.store.storageMechanism must be one of ${STORAGE_MECHANISMS.join(', ')} (the ` +
      `client_session schema allows no other), got ${describeValue(mechanism)}`,
  );
}

/**
 * Checks the options of `new ClientSession()`. A wrong option throws `INVALID_OPTION` naming
 * it; an unknown one (a typo such as `foregroundTimeoutMs`) is reported once as a warning.
 */
export function readSessionOptions(options: ClientSessionOptions): SessionConfig {
  if (options === null || typeof options !== 'object') {
    invalid('new ClientSession(options) takes an options object with at least `store`');
  }
  if (!isStore(options.store)) {
    invalid(
      'options.store must be a SessionStore (getSession, setSession, deleteSession and ' +
        'storageMechanism), for example openSqliteStore({ path }) or new MemorySessionStore()',
    );
  }
  assertStorageMechanism(options.store);
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    invalid('options.clock must be a function returning epoch milliseconds, such as Date.now');
  }
  if (options.logger !== undefined && !isLogger(options.logger)) {
    invalid('options.logger must have error, warn, info and debug methods (console fits)');
  }
  const logger = options.logger ?? createConsoleLogger();
  const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) {
    logger.warn(`new ClientSession() ignores unknown options: ${unknown.join(', ')}`);
  }

  return {
    store: options.store,
    clock: guardClock(options.clock ?? Date.now, logger),
    logger,
    foregroundTimeoutMs: seconds(options.foregroundTimeout, 'foregroundTimeout', 1800),
    backgroundTimeoutMs: seconds(options.backgroundTimeout, 'backgroundTimeout', 1800),
    toleranceMs: toleranceMs(options.clockToleranceSeconds),
    continueOnRestart: flag(options, 'continueSessionOnRestart', true),
    anonymous: flag(options, 'anonymous', false),
    isBackground: flag(options, 'isBackground', false),
  };
}

/** A clock that answers something other than a finite number is replaced by the wall clock. */
function guardClock(clock: () => number, logger: Logger): () => number {
  let warned = false;
  return () => {
    const now = clock();
    if (typeof now === 'number' && Number.isFinite(now)) return now;
    if (!warned) {
      warned = true;
      logger.warn(
        `options.clock returned ${describeValue(now)}, not epoch milliseconds; using Date.now() ` +
          'for that reading',
      );
    }
    return Date.now();
  };
}
