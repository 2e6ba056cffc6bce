// One Electron main process in stand-ins, with createClientSession set up on it, a fake clock
// and fake timers, and a log of the foreground/background transitions the session saw.
import { createClientSession, MemorySessionStore } from '../../src/main';
import type {
  ClientSession,
  CreateClientSessionOptions,
  ElectronClientSession,
  Logger,
} from '../../src/main';
import { FakeClock } from './clock';
import { FakeElectron } from './fakeElectron';
import type { FakeWindow, WindowState } from './fakeElectron';
import { FakeTimers } from './fakeTimers';

export type Transition = 'foreground' | 'background';

/** A logger that keeps what it is told, by level. */
export function recordingLogger(): Logger & { lines: Record<keyof Logger, string[]> } {
  const lines: Record<keyof Logger, string[]> = { error: [], warn: [], info: [], debug: [] };
  return {
    lines,
    error: (message) => void lines.error.push(message),
    warn: (message) => void lines.warn.push(message),
    info: (message) => void lines.info.push(message),
    debug: (message) => void lines.debug.push(message),
  };
}

export interface Harness {
  readonly electron: FakeElectron;
  readonly clock: FakeClock;
  readonly timers: FakeTimers;
  readonly logger: ReturnType<typeof recordingLogger>;
  readonly client: ElectronClientSession;
  readonly session: ClientSession;
  /** Every change of `isBackground` the session reported, in order. */
  readonly transitions: Transition[];
  /** Windows open before createClientSession was called, by title. */
  readonly windows: Record<string, FakeWindow>;
}

/**
 * Opens the given windows, makes the app ready, then calls createClientSession with a memory
 * store (unless the options say otherwise).
 */
export async function startApp(
  windows: Record<string, Partial<WindowState>> = {},
  options: Partial<CreateClientSessionOptions> = {},
): Promise<Harness> {
  const clock = new FakeClock();
  const timers = new FakeTimers(clock);
  const electron = new FakeElectron();
  const logger = recordingLogger();
  const opened: Record<string, FakeWindow> = {};
  await electron.app.becomeReady();
  for (const [title, state] of Object.entries(windows)) {
    opened[title] = electron.app.createWindow(title, state);
  }

  const client = createClientSession({
    electron,
    timers,
    clock: clock.now,
    logger,
    store: new MemorySessionStore(),
    ...options,
  });
  const session = client.session;
  if (session === null) throw new Error('the app was ready: the session should exist at once');

  const transitions: Transition[] = [];
  let last = session.getIsBackground();
  session.onChange((snapshot) => {
    if (snapshot.isBackground === last) return;
    last = snapshot.isBackground;
    transitions.push(last ? 'background' : 'foreground');
  });
  return { electron, clock, timers, logger, client, session, transitions, windows: opened };
}
