import { isAbsolute } from 'node:path';

import { ClientSessionError } from '../../shared/errors';
import type { SessionStore } from '../SessionStore';
import { assertTimeoutSeconds } from '../validate';
import type { CreateClientSessionOptions } from './createClientSession';

/** Throws `INVALID_OPTION` for options createClientSession cannot use, before anything is attached. */
export function validateOptions(options: CreateClientSessionOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new ClientSessionError('INVALID_OPTION', 'createClientSession(options) takes an object');
  }
  for (const name of ['foregroundTimeout', 'backgroundTimeout', 'clockToleranceSeconds'] as const) {
    if (options[name] !== undefined) assertTimeoutSeconds(options[name], `options.${name}`);
  }
  if (
    options.path !== undefined &&
    (typeof options.path !== 'string' || !isAbsolute(options.path))
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.path must be an absolute file path, for example ' +
        "join(app.getPath('userData'), 'client-session.sqlite')",
    );
  }
  const store = options.store as Partial<SessionStore> | null | undefined;
  if (
    store !== undefined &&
    (store === null ||
      typeof store.getSession !== 'function' ||
      typeof store.setSession !== 'function')
  ) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.store must be a SessionStore (getSession, setSession, deleteSession)',
    );
  }
  for (const name of ['lifecycleEvents'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new ClientSessionError('INVALID_OPTION', `options.${name} must be a boolean`);
    }
  }
  if (options.ipc !== undefined && options.ipc !== false && typeof options.ipc !== 'object') {
    throw new ClientSessionError('INVALID_OPTION', 'options.ipc must be false or an object');
  }
}
