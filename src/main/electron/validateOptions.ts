import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';

import { ClientSessionError, PREFIX } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { MemorySessionStore } from '../MemorySessionStore';
import { originMatcher } from '../ipc/origins';
import type { ClientSessionIpcOptions } from '../ipc/registerClientSessionIpc';
import { clientSessionPreloadPath } from '../ipc/registerClientSessionPreload';
import type { ClientSessionPreloadOptions } from '../ipc/registerClientSessionPreload';
import { readSessionOptions } from '../sessionOptions';
import type { CreateClientSessionOptions } from './createClientSession';
import { describeValue } from './describeValue';
import { assertMilliseconds, assertTimers } from './timingOptions';

// Every option read, as records over the option types, so that an option added to a type
// and not here fails the type check instead of being reported as unknown.
const KNOWN: Record<keyof CreateClientSessionOptions, true> = {
  store: true,
  path: true,
  backgroundGraceMs: true,
  lifecycleEvents: true,
  ipc: true,
  preload: true,
  electron: true,
  timers: true,
  foregroundTimeout: true,
  backgroundTimeout: true,
  continueSessionOnRestart: true,
  anonymous: true,
  clock: true,
  clockToleranceSeconds: true,
  logger: true,
};
const KNOWN_IPC: Record<keyof ClientSessionIpcOptions, true> = {
  allowedOrigins: true,
  allowNewSession: true,
  logger: true,
};
const KNOWN_PRELOAD: Record<keyof ClientSessionPreloadOptions, true> = {
  filePath: true,
  id: true,
};

function invalid(message: string, cause?: unknown): never {
  throw new ClientSessionError('INVALID_OPTION', message, { cause });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Throws `INVALID_OPTION` for options createClientSession cannot use. Runs at the call, before
 * anything is attached: called before the app is ready, a mistake would otherwise surface only
 * as a `whenReady()` rejection, or as an exception in an event handler of the main process.
 */
export function validateOptions(options: CreateClientSessionOptions): void {
  if (!isPlainObject(options as unknown)) {
    invalid(`createClientSession(options) takes an object, got ${describeValue(options)}`);
  }
  if ((options as { isBackground?: unknown }).isBackground !== undefined) {
    invalid(
      "options.isBackground is not taken by createClientSession(): the app's windows decide it " +
        '(foreground while one has focus). To force a state, call ' +
        'session.setIsBackground() once whenReady() has resolved',
    );
  }

  // The engine's own reader checks its options (and a custom store). The default store is
  // opened only once the app is ready, so a stand-in takes its place here.
  readSessionOptions({
    store: options.store === undefined ? new MemorySessionStore() : options.store,
    foregroundTimeout: options.foregroundTimeout,
    backgroundTimeout: options.backgroundTimeout,
    continueSessionOnRestart: options.continueSessionOnRestart,
    anonymous: options.anonymous,
    clock: options.clock,
    clockToleranceSeconds: options.clockToleranceSeconds,
    logger: options.logger,
  });

  if (
    options.path !== undefined &&
    (typeof options.path !== 'string' || !isAbsolute(options.path))
  ) {
    invalid(
      'options.path must be an absolute file path, for example ' +
        `join(app.getPath('userData'), 'client-session.sqlite'), got ${describeValue(options.path)}`,
    );
  }
  if (options.backgroundGraceMs !== undefined) {
    assertMilliseconds(options.backgroundGraceMs, 'options.backgroundGraceMs');
  }
  if (options.timers !== undefined) assertTimers(options.timers, 'options.timers');
  checkLifecycleEvents(options.lifecycleEvents);
  checkIpc(options.ipc);
  checkPreload(options.preload);
}

/**
 * Names of the options given that createClientSession does not know, `ipc.` or `preload.`
 * before those of the nested objects. They are ignored, not refused, as the engine does.
 */
export function unknownOptions(options: CreateClientSessionOptions): string[] {
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(KNOWN, key));
  if (isPlainObject(options.ipc)) {
    for (const key of Object.keys(options.ipc)) {
      if (!Object.hasOwn(KNOWN_IPC, key)) unknown.push(`ipc.${key}`);
    }
  }
  if (isPlainObject(options.preload)) {
    for (const key of Object.keys(options.preload)) {
      if (!Object.hasOwn(KNOWN_PRELOAD, key)) unknown.push(`preload.${key}`);
    }
  }
  return unknown;
}

function checkLifecycleEvents(lifecycle: unknown): void {
  if (lifecycle === undefined || typeof lifecycle === 'boolean') return;
  if (isPlainObject(lifecycle) && typeof lifecycle.buildSelfDescribingEvent === 'function') return;
  invalid(
    'options.lifecycleEvents must be a boolean or { buildSelfDescribingEvent } from ' +
      `'@snowplow/node-tracker', got ${describeValue(lifecycle)}`,
  );
}

function checkIpc(ipc: unknown): void {
  if (ipc === undefined || ipc === false) return;
  if (!isPlainObject(ipc)) {
    invalid(
      "options.ipc must be false or an object such as { allowedOrigins: ['file://'] }, got " +
        describeValue(ipc),
    );
  }
  const { allowedOrigins, allowNewSession, logger } = ipc as ClientSessionIpcOptions;
  try {
    originMatcher(allowedOrigins);
  } catch (error) {
    // The IPC module names the option as registerClientSessionIpc takes it; here it is nested.
    if (!(error instanceof ClientSessionError)) throw error;
    const message = error.message.slice(`${PREFIX}: `.length);
    invalid(message.replace(/^options\./, 'options.ipc.'), error);
  }
  if (allowNewSession !== undefined && typeof allowNewSession !== 'boolean') {
    invalid(`options.ipc.allowNewSession must be a boolean, got ${describeValue(allowNewSession)}`);
  }
  if (logger !== undefined && !isLogger(logger)) {
    invalid('options.ipc.logger must have error, warn, info and debug methods (console fits)');
  }
}

function isLogger(value: unknown): value is Logger {
  return (
    isPlainObject(value) &&
    (['error', 'warn', 'info', 'debug'] as const).every((m) => typeof value[m] === 'function')
  );
}

/**
 * Also checks that the preload file is there, when its path is known at the call: a missing
 * file (the package not built, or a bundled main process that has no such file beside it)
 * is a set-up mistake to fix, better told at once than once the app is ready.
 */
function checkPreload(preload: unknown): void {
  if (preload === undefined || preload === false) return;
  if (preload !== true && !isPlainObject(preload)) {
    invalid(
      `options.preload must be true, false or { filePath, id }, got ${describeValue(preload)}`,
    );
  }
  const { filePath, id } = preload === true ? {} : (preload as ClientSessionPreloadOptions);
  if (id !== undefined && (typeof id !== 'string' || id === '')) {
    invalid(`options.preload.id must be a non-empty string, got ${describeValue(id)}`);
  }
  if (filePath !== undefined && (typeof filePath !== 'string' || !isAbsolute(filePath))) {
    invalid(
      'options.preload.filePath must be the absolute path of the built preload, got ' +
        describeValue(filePath),
    );
  }

  const file = filePath ?? clientSessionPreloadPath();
  if (isFile(file)) return;
  if (filePath !== undefined) {
    invalid(`options.preload.filePath names no file: ${file}`);
  }
  invalid(
    `options.preload: the package's preload is not at ${file}. If the main process is bundled (Vite, webpack), ` +
      'copy dist/preload/standalone.js of electron-client-session into the app and pass its ' +
      'path as preload: { filePath }; otherwise reinstall the package',
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    // A folder on the way that is a file, or cannot be read: no preload can be loaded there.
    return false;
  }
}
