import { PREFIX } from './errors';

/**
 * The logger this package writes to. Any object with these four methods fits, for example
 * electron-log's `log` or `console`.
 */
export interface Logger {
  error(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  debug(message: string, ...details: unknown[]): void;
}

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/**
 * A levelled logger over `console` that prefixes every line with the package name.
 * Quiet by default: only warnings and errors.
 */
export function createConsoleLogger(level: LogLevel = 'warn'): Logger {
  const emit =
    (at: Exclude<LogLevel, 'silent'>, write: (...args: unknown[]) => void) =>
    (message: string, ...details: unknown[]) => {
      if (RANK[at] <= RANK[level]) write(`[${PREFIX}] ${message}`, ...details);
    };
  return {
    error: emit('error', console.error),
    warn: emit('warn', console.warn),
    info: emit('info', console.info),
    debug: emit('debug', console.debug),
  };
}
