import { ClientSessionError } from '../../shared/errors';

/**
 * Which pages may use the bridge: a list of origins (`'file://'`, `'app://bundle'`,
 * `'http://localhost:5173'`), or a function deciding from the origin and the full URL.
 */
export type AllowedOrigins = readonly string[] | ((origin: string, url: string) => boolean);

/** Pages loaded from files: what `loadFile()` gives, and a packaged app's default. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = ['file://'];

/**
 * The origin of a page URL, as this package compares origins: `'file://'` for every file URL,
 * `scheme://host[:port]` (lowercase) otherwise, also for custom schemes (for which the WHATWG
 * URL parser reports `"null"`). `null` for URLs without a host of their own (`about:blank`,
 * `data:`, `blob:`, unparsable text): those are never allowed.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === 'file:') return 'file://';
  if (parsed.host === '') return null;
  return `${parsed.protocol}//${parsed.host}`.toLowerCase();
}

/** Checks the `allowedOrigins` option and returns the predicate the handlers use. */
export function originMatcher(
  allowed: AllowedOrigins | undefined,
): (origin: string, url: string) => boolean {
  if (allowed === undefined) return listMatcher(DEFAULT_ALLOWED_ORIGINS);
  if (typeof allowed === 'function') return allowed;
  if (!Array.isArray(allowed)) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      'options.allowedOrigins must be an array of origins such as "file://" or "app://bundle", or a function (origin, url) => boolean',
    );
  }
  return listMatcher(allowed.map(normaliseOrigin));
}

function listMatcher(origins: readonly string[]): (origin: string) => boolean {
  const set = new Set(origins);
  return (origin) => set.has(origin);
}

function normaliseOrigin(entry: unknown): string {
  const origin = typeof entry === 'string' ? originOf(entry) : null;
  const bare = typeof entry === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*\/?$/i.test(entry);
  if (origin === null || !bare) {
    throw new ClientSessionError(
      'INVALID_OPTION',
      `options.allowedOrigins takes origins without a path, such as "file://", "app://bundle" or "http://localhost:5173"; got ${JSON.stringify(entry) ?? typeof entry}`,
    );
  }
  return origin;
}
