// SPEC 4: powerMonitor events, including the duplicated, late and spurious deliveries reported
// against several Electron versions, and the per-OS gaps the README documents.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { startApp } from './support/electronHarness';
import { eventId } from './support/ids';

const PAIRS = [
  ['suspend', 'resume'],
  ['lock-screen', 'unlock-screen'],
  ['user-did-resign-active', 'user-did-become-active'],
] as const;

describe('power and presence events (SPEC 4)', () => {
  for (const [away, back] of PAIRS) {
    test(`${away} moves to the background at once; ${back} re-checks the windows`, async () => {
      const { electron, transitions } = await startApp({ main: { focused: true } });
      electron.powerMonitor.fire(away);
      assert.deepEqual(transitions, ['background']);
      electron.powerMonitor.fire(back);
      assert.deepEqual(transitions, ['background', 'foreground']);
    });

    test(`${back} with no focused window leaves the app in the background`, async () => {
      const { electron, windows, transitions } = await startApp({ main: { focused: true } });
      electron.powerMonitor.fire(away);
      windows.main!.state.focused = false;
      electron.powerMonitor.fire(back);
      assert.deepEqual(transitions, ['background']);
    });

    test(`duplicated ${away} and ${back} give exactly one transition each`, async () => {
      const { electron, timers, transitions } = await startApp({ main: { focused: true } });
      electron.powerMonitor.fire(away);
      electron.powerMonitor.fire(away);
      timers.advance(1000);
      electron.powerMonitor.fire(back);
      timers.advance(1800);
      electron.powerMonitor.fire(back);
      assert.deepEqual(transitions, ['background', 'foreground']);
    });

    if (away !== 'suspend') {
      test(`${away} arriving after its ${back} changes nothing`, async () => {
        const { electron, timers, transitions } = await startApp({ main: { focused: true } });
        electron.powerMonitor.fire(back);
        timers.advance(50);
        electron.powerMonitor.fire(away);
        timers.advance(60_000);
        assert.deepEqual(transitions, []);
      });
    }
  }

  test('a suspend arriving after its resume is dropped once the process ran on for 5 s', async () => {
    // It cannot be told from a real sleep after a resume delivered again late: only a sleep
    // stops the process.
    const { electron, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('resume');
    timers.advance(50);
    electron.powerMonitor.fire('suspend');
    timers.advance(4999);
    assert.deepEqual(transitions, ['background']);
    timers.advance(1);
    assert.deepEqual(transitions, ['background', 'foreground']);
  });

  test('a suspend delivered again just after its resume is dropped after 5 s, not 30', async () => {
    const { electron, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('suspend');
    timers.advance(100);
    electron.powerMonitor.fire('resume');
    timers.advance(1000);
    electron.powerMonitor.fire('suspend');
    timers.advance(4999);
    assert.deepEqual(transitions, ['background', 'foreground', 'background']);
    timers.advance(1);
    assert.deepEqual(transitions, ['background', 'foreground', 'background', 'foreground']);
  });

  test('a resume delivered again late does not hide the next real suspend', async () => {
    // Windows sends a second resume when the user comes back to a machine that woke unattended.
    const { electron, clock, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('suspend');
    timers.advance(100);
    electron.powerMonitor.fire('resume');
    timers.advance(6000);
    electron.powerMonitor.fire('resume');
    timers.advance(3000);
    electron.powerMonitor.fire('suspend');
    assert.deepEqual(transitions, ['background', 'foreground', 'background']);

    // Asleep: no timer fires while the clock moves.
    clock.advanceSeconds(3600);
    electron.powerMonitor.fire('resume');
    timers.advance(60_000);
    assert.deepEqual(transitions, ['background', 'foreground', 'background', 'foreground']);
  });

  for (const [away, back] of PAIRS) {
    test(`after a blur into another app, ${back} stays in the background though the query says focused (Windows)`, async () => {
      const { electron, windows, timers, transitions } = await startApp({ a: { focused: true } });
      // Windows' focus query can stay true for a window that is no longer in front.
      windows.a!.fire('blur');
      timers.advance(500);
      electron.powerMonitor.fire(away);
      timers.advance(60_000);
      electron.powerMonitor.fire(back);
      timers.advance(60_000);
      assert.deepEqual(transitions, ['background']);
      windows.a!.fire('focus', { focused: true });
      assert.deepEqual(transitions, ['background', 'foreground']);
    });
  }

  test('a blur while the screen is locked is harmless, and so is the focus after unlock', async () => {
    const { electron, windows, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('lock-screen');
    windows.main!.fire('blur', { focused: false });
    timers.advance(1000);
    electron.powerMonitor.fire('unlock-screen');
    windows.main!.fire('focus', { focused: true });
    timers.advance(1000);
    assert.deepEqual(transitions, ['background', 'foreground']);
  });

  test('a focus while away counts as the user being back (the return event may be lost)', async () => {
    const { electron, windows, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('lock-screen');
    windows.main!.fire('blur', { focused: false });
    windows.main!.fire('focus', { focused: true });
    assert.deepEqual(transitions, ['background', 'foreground']);
    // The unlock that then arrives is a duplicate of what the focus said.
    electron.powerMonitor.fire('unlock-screen');
    electron.powerMonitor.fire('lock-screen');
    assert.deepEqual(transitions, ['background', 'foreground', 'background']);
  });

  test('an unlock arriving late after the focus that ended the lock does not hide the next lock', async () => {
    const { electron, windows, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('lock-screen');
    windows.main!.fire('blur', { focused: false });
    windows.main!.fire('focus', { focused: true });
    // The unlock the focus already accounted for, past the 5 s a pair's halves are matched in.
    timers.advance(6000);
    electron.powerMonitor.fire('unlock-screen');
    timers.advance(1000);
    electron.powerMonitor.fire('lock-screen');
    timers.advance(60_000);
    assert.deepEqual(transitions, ['background', 'foreground', 'background']);
  });

  test('a late unlock delivered twice after the focus does not hide the next lock either', async () => {
    const { electron, windows, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('lock-screen');
    windows.main!.fire('focus', { focused: true });
    timers.advance(6000);
    electron.powerMonitor.fire('unlock-screen');
    timers.advance(1000);
    electron.powerMonitor.fire('unlock-screen');
    timers.advance(1000);
    electron.powerMonitor.fire('lock-screen');
    assert.deepEqual(transitions, ['background', 'foreground', 'background']);
  });

  test('a suspend with no resume while the process keeps running is undone', async () => {
    // Electron has emitted `suspend` with no sleep (for example when a game exits on Windows).
    const { electron, timers, transitions } = await startApp({ main: { focused: true } });
    electron.powerMonitor.fire('suspend');
    timers.advance(29_999);
    assert.deepEqual(transitions, ['background']);
    timers.advance(1);
    assert.deepEqual(transitions, ['background', 'foreground']);
  });

  test('a suspend/resume pair with no real sleep keeps the session', async () => {
    const { electron, session, clock, timers } = await startApp(
      { main: { focused: true } },
      { foregroundTimeout: 60, backgroundTimeout: 60 },
    );
    const first = session.stamp(eventId(), clock.time);
    timers.advance(30_000);
    electron.powerMonitor.fire('suspend');
    timers.advance(20);
    electron.powerMonitor.fire('resume');
    timers.advance(50_000);
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.sessionId, first.sessionId);
  });

  test('a real sleep longer than the background timeout starts a new session', async () => {
    const { electron, session, clock, timers } = await startApp(
      { main: { focused: true } },
      { foregroundTimeout: 3600, backgroundTimeout: 600 },
    );
    const first = session.stamp(eventId(), clock.time);
    electron.powerMonitor.fire('suspend');
    // Asleep: no JavaScript runs, so no timer fires while the clock moves.
    clock.advanceSeconds(3 * 3600);
    electron.powerMonitor.fire('resume');
    timers.advance(0);
    const next = session.stamp(eventId(), clock.time);
    assert.equal(next.sessionIndex, first.sessionIndex + 1);
  });
});

describe('per-OS gaps (README "Operating systems")', () => {
  test('Linux sends no lock events: locking is seen through the window blur', async () => {
    const { windows, timers, transitions } = await startApp({ main: { focused: true } });
    windows.main!.fire('blur', { focused: false });
    timers.advance(500);
    assert.deepEqual(transitions, ['background']);
  });

  test('Wayland sends no minimize: minimising is seen through the blur', async () => {
    const { windows, timers, transitions } = await startApp({ main: { focused: true } });
    windows.main!.fire('blur', { focused: false, minimized: true });
    timers.advance(500);
    assert.deepEqual(transitions, ['background']);
  });
});
