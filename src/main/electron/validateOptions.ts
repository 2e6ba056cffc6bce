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
  const lifecycle: unknown = options.lifecycleEvents;
  const isBuilderOption =
    typeof lifecycle === 'object' &&
    lifecycle !== null &&
    typeof (lifecycle as { buildSelfDescribingEvent?: unknown }).buildSelfDescribingEvent ===
      'function';
  if (lifecycle !== undefined && typeof lifecycle !== 'boolean' && !isBuilderOption) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.lifecycleEvents must be a boolean or { buildSelfDescribingEvent } from ' +
        "'@snowplow/node-tracker'",
    );
  }
  if (options.ipc !== undefined && options.ipc !== false && typeof options.ipc !== 'object') {
    throw new ClientSessionError('INVALID_OPTION', 'options.ipc must be false or an object');
  }
}
