// SPEC 4 in the main process: foreground and background from the app's windows, driven by
// event sequences on stand-ins, a fake clock and fake timers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { startApp } from './support/electronHarness';
import { FakeWindow } from './support/fakeElectron';
import { eventId } from './support/ids';

const GRACE = 500;

describe('initial state (SPEC 4)', () => {
  test('a focused window at set-up: foreground', async () => {
    const { session } = await startApp({ main: { focused: true } });
    assert.equal(session.getIsBackground(), false);
  });

  test('windows but none focused (created with show: false): background', async () => {
    const { session } = await startApp({ main: { visible: false } });
    assert.equal(session.getIsBackground(), true);
  });

  test('no window at all (a tray app): background', async () => {
    const { session } = await startApp();
    assert.equal(session.getIsBackground(), true);
  });
});

describe('window focus (SPEC 4)', () => {
  test('focus brings the app to the foreground at once', async () => {
    const { windows, transitions } = await startApp({ main: { visible: false } });
    windows.main!.fire('show', { visible: true });
    windows.main!.fire('focus', { focused: true });
    assert.deepEqual(transitions, ['foreground']);
  });

  test('blur moves to the background only once the grace period has passed', async () => {
    const { windows, timers, transitions } = await startApp({ main: { focused: true } });
    windows.main!.fire('blur', { focused: false });
    timers.advance(GRACE - 1);
    assert.deepEqual(transitions, []);
    timers.advance(1);
    assert.deepEqual(transitions, ['background']);
  });

  test('the grace period is an option', async () => {
    const { windows, timers, transitions } = await startApp(
      { main: { focused: true } },
      { backgroundGraceMs: 2000 },
    );
    windows.main!.fire('blur', { focused: false });
    timers.advance(1999);
    assert.deepEqual(transitions, []);
    timers.advance(1);
    assert.deepEqual(transitions, ['background']);
  });

  test('hide, minimize and closed each lead to the background after the grace period', async () => {
    for (const event of ['hide', 'minimize', 'closed'] as const) {
      const { windows, timers, transitions } = await startApp({ main: { focused: true } });
      const state = {
        hide: { visible: false, focused: false },
        minimize: { minimized: true, focused: false },
        closed: { destroyed: true, focused: false },
      }[event];
      windows.main!.fire(event, state);
      assert.deepEqual(transitions, [], `no transition at once on ${event}`);
      timers.advance(GRACE);
      assert.deepEqual(transitions, ['background'], event);
    }
  });

  test('switching windows, blur first: no transition', async () => {
    const { windows, timers, transitions } = await startApp({ a: { focused: true }, b: {} });
    windows.a!.fire('blur', { focused: false });
    timers.advance(40);
    windows.b!.fire('focus', { focused: true });
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, []);
  });

  test('switching windows, focus first: no transition', async () => {
    const { windows, timers, transitions } = await startApp({ a: { focused: true }, b: {} });
    windows.b!.fire('focus', { focused: true });
    windows.a!.fire('blur', { focused: false });
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, []);
  });

  test('a focus query that still names the blurred window (Windows) causes no flap', async () => {
    const { windows, electron, timers, transitions } = await startApp({ a: { focused: true } });
    // Inside and after the blur handler, Electron still says the window is focused.
    windows.a!.fire('blur');
    assert.equal(electron.BrowserWindow.getFocusedWindow(), windows.a);
    timers.advance(GRACE);
    assert.deepEqual(transitions, ['background']);
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, ['background']);
  });

  test('switching windows while the query lags behind: no transition', async () => {
    const { windows, timers, transitions } = await startApp({ a: { focused: true }, b: {} });
    windows.a!.fire('blur', {}, { focused: false });
    windows.b!.fire('focus', { focused: true });
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, []);
  });

  test('duplicate blurs give exactly one transition', async () => {
    const { windows, timers, transitions } = await startApp({ a: { focused: true } });
    windows.a!.fire('blur', { focused: false });
    timers.advance(100);
    windows.a!.fire('blur');
    windows.a!.fire('blur');
    timers.advance(GRACE * 4);
    windows.a!.fire('blur');
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, ['background']);
  });

  test('a focus on a minimised window does not bring the app forward', async () => {
    const { windows, timers, transitions } = await startApp({ a: { focused: true } });
    windows.a!.fire('blur', { focused: false });
    windows.a!.fire('minimize', { minimized: true });
    timers.advance(100);
    windows.a!.fire('focus', { focused: true });
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, ['background']);
  });

  test('a focus on a hidden window does not bring the app forward', async () => {
    const { windows, timers, transitions } = await startApp({ a: { visible: false } });
    windows.a!.fire('focus', { focused: true });
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, []);
  });

  test('restoring a minimised window: foreground once, whichever event comes first', async () => {
    for (const order of [
      ['focus', 'restore'],
      ['restore', 'focus'],
    ] as const) {
      const { windows, timers, transitions } = await startApp({ a: { minimized: true } });
      for (const event of order) {
        if (event === 'focus') windows.a!.fire('focus', { focused: true });
        else windows.a!.fire('restore', { minimized: false });
      }
      assert.deepEqual(transitions, ['foreground'], order.join(' then '));
      timers.advance(GRACE * 4);
      assert.deepEqual(transitions, ['foreground'], order.join(' then '));
    }
  });

  test('closing the focused window while the app focuses another: no transition', async () => {
    const { windows, timers, transitions } = await startApp({ a: { focused: true }, b: {} });
    windows.a!.fire('closed', { destroyed: true, focused: false });
    windows.b!.fire('focus', { focused: true });
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, []);
  });

  test('a BaseWindow, which Electron does not announce, is not followed (README note)', async () => {
    const { timers, session, transitions } = await startApp();
    // Neither in BrowserWindow.getAllWindows() nor announced by browser-window-created.
    const base = new FakeWindow('base', { focused: true });
    base.fire('focus');
    timers.advance(GRACE * 4);
    assert.deepEqual(transitions, []);
    assert.equal(session.getIsBackground(), true);
    // What such an app does instead, from its own window's events.
    base.on('focus', () => session.setIsBackground(false));
    base.fire('focus');
    assert.deepEqual(transitions, ['foreground']);
  });

  test('windows created after set-up are covered without the app doing anything', async () => {
    const { electron, timers, transitions } = await startApp();
    const late = electron.app.createWindow('late');
    late.fire('focus', { focused: true });
    assert.deepEqual(transitions, ['foreground']);
    late.fire('blur', { focused: false });
    timers.advance(GRACE);
    assert.deepEqual(transitions, ['foreground', 'background']);
  });
});

describe('transitions and the session (SPEC 4)', () => {
  test('the app may set the state itself; the next window signal wins over it', async () => {
    const { windows, timers, session, transitions } = await startApp({ main: { focused: true } });
    session.setIsBackground(true);
    windows.main!.fire('blur', { focused: false });
    timers.advance(GRACE);
    windows.main!.fire('focus', { focused: true });
    assert.deepEqual(transitions, ['background', 'foreground']);
    session.setIsBackground(true);
    windows.main!.fire('focus', { focused: true });
    assert.deepEqual(transitions, ['background', 'foreground', 'background', 'foreground']);
  });

  test('time in the background is judged by the background timeout', async () => {
    const { windows, timers, session, clock } = await startApp(
      { main: { focused: true } },
      { foregroundTimeout: 3600, backgroundTimeout: 60 },
    );
    const first = session.stamp(eventId(), clock.time);
    windows.main!.fire('blur', { focused: false });
    timers.advance(GRACE);
    timers.advance(120_000);
    windows.main!.fire('focus', { focused: true });
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.sessionIndex, first.sessionIndex + 1);
    assert.equal(next.previousSessionId, first.sessionId);
  });

  test('a window switch keeps the session and its event order', async () => {
    const { windows, timers, session, clock } = await startApp(
      { a: { focused: true }, b: {} },
      { foregroundTimeout: 3600, backgroundTimeout: 1 },
    );
    const first = session.stamp(eventId(), clock.time);
    windows.a!.fire('blur', { focused: false });
    timers.advance(300);
    windows.b!.fire('focus', { focused: true });
    timers.advance(10_000);
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, first.sessionId);
    assert.equal(next.eventIndex, 2);
  });
});
