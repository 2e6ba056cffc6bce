/** Every message this package writes starts with this. */
export const PREFIX = 'electron-client-session';

/** Stable codes, so callers (and renderers across IPC) can branch without parsing text. */
export type ClientSessionErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_OPTION'
  | 'CLOSED'
  | 'FORBIDDEN'
  | 'SENDER_REFUSED'
  | 'NOT_INSTALLED'
  | 'ALREADY_CREATED'
  | 'STORE_FAILED'
  | 'INTERNAL';

/** An error raised by this package: prefixed message, stable `code`. */
export class ClientSessionError extends Error {
  readonly code: ClientSessionErrorCode;

  constructor(code: ClientSessionErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${PREFIX}: ${message}`, options);
    this.name = 'ClientSessionError';
    this.code = code;
  }
}
