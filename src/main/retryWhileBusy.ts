/** Longest pause between two tries, in milliseconds. */
const MAX_PAUSE_MS = 20;

/**
 * Runs `step`, and runs it again while SQLite answers `SQLITE_BUSY`, for `timeoutMs` at most;
 * then the last error goes on. For steps that SQLite may refuse at once rather than wait.
 *
 * @remarks
 * SQLite does not call its busy handler (the wait of `busyTimeoutMs`) where waiting could
 * deadlock: a connection holding a read lock that asks for the write lock gets `SQLITE_BUSY` at
 * once if another connection holds or wants it. `PRAGMA journal_mode = WAL` on a new file does
 * exactly that (it reads the header, then writes it), so processes opening a new store at the
 * same moment failed here within 0.2 ms: 2 to 4 opens in 100 when 6 or 8 processes started
 * together.
 * Pauses between tries grow from 1 ms to 20 ms, each shortened at random so that the processes
 * do not meet again.
 */
export function retryWhileBusy<T>(step: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 0; ; tries++) {
    try {
      return step();
    } catch (error) {
      const left = deadline - Date.now();
      if (!isBusy(error) || left <= 0) throw error;
      const pause = Math.min(2 ** tries, MAX_PAUSE_MS, left);
      sleep(pause * (0.5 + Math.random() / 2));
    }
  }
}

/** `SQLITE_BUSY` and its extended codes (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_BUSY_RECOVERY`). */
function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^SQLITE_BUSY/.test(code);
}

const pauses = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread: the caller is synchronous. Spins where blocking is refused. */
function sleep(ms: number): void {
  try {
    Atomics.wait(pauses, 0, 0, ms);
  } catch {
    const until = Date.now() + ms;
    while (Date.now() < until);
  }
}
