import { ClientSessionError } from '../../shared/errors';

/**
 * Which pages may use the bridge: a list of origins (`'file://'`, `'app://bundle'`,
 * `'http://localhost:5173'`), or a function deciding from the origin and the full URL.
 *
 * @remarks
 * A page of a custom scheme without a host (`app:///index.html`, from a protocol not
 * registered as standard) has the origin `'null'`: only the function form can allow it, by
 * looking at the URL. A list never does. `about:`, `data:`, `blob:` and `javascript:` pages
 * are refused whatever the option says.
 */
export type AllowedOrigins = readonly string[] | ((origin: string, url: string) => boolean);

/** Pages loaded from files: what `loadFile()` gives, and a packaged app's default. */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = ['file://'];

/** The origin of a page of a custom scheme without a host, as the WHATWG URL parser says it. */
export const HOSTLESS_ORIGIN = 'null';

/**
 * Schemes whose pages take their origin from whoever made them, or have none: their URL says
 * nothing about which app page it is, so no option can allow them.
 */
const NEVER_ALLOWED_SCHEMES: ReadonlySet<string> = new Set([
  'about:',
  'data:',
  'blob:',
  'javascript:',
]);

/**
 * The origin of a page URL, as this package compares origins: `'file://'` for every file URL,
 * `scheme://host[:port]` (lowercase) otherwise, also for custom schemes (for which the WHATWG
 * URL parser reports `"null"`), and `'null'` for a custom scheme without a host
 * (`app:///index.html`). `null` for `about:`, `data:`, `blob:` and `javascript:` URLs and
 * unparsable text: those are never allowed.
 */
export function originOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (NEVER_ALLOWED_SCHEMES.has(parsed.protocol)) return null;
  if (parsed.protocol === 'file:') return 'file://';
  if (parsed.host === '') return HOSTLESS_ORIGIN;
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
  if (origin === HOSTLESS_ORIGIN) {
    // Every hostless page of every custom scheme shares this origin: listed, it would allow all.
    throw new ClientSessionError(
      'INVALID_OPTION',
      `options.allowedOrigins lists ${JSON.stringify(entry)}, which has no host: pages without one (app:///index.html) can only be allowed by a function (origin, url) => boolean that checks the URL`,
    );
  }
  return origin;
}
