import type { Logger } from '../shared/logger';

/**
 * Warns once, naming them all, about the options given that `known` does not list (a typo such
 * as `busyTimeout` for `busyTimeoutMs`), as `new ClientSession()` does: they are ignored, not
 * refused. `caller` names the call, as in `openSqliteStore()`. Keep `known` a record over the
 * options type (`Record<keyof Options, true>`), so that an option added to the type and not
 * there fails the type check instead of being warned about.
 */
export function warnUnknownOptions(
  options: object,
  known: Readonly<Record<string, true>>,
  caller: string,
  logger: Logger,
): void {
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(known, key));
  if (unknown.length > 0) logger.warn(`${caller} ignores unknown options: ${unknown.join(', ')}`);
}
