// The demo end to end in headless Chromium: its real page and its real built preload in browser
// pages, talking to its real main-process code (startDemo: createClientSession, the library's
// IPC handlers, a SQLite store, the node tracker, the embedded collector) over a stand-in for
// Electron's IPC only (test/support/pageElectron.ts). The session runs on a fake clock, so that
// the background timeout passes at once.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { startDemo } from '../demo/app/startDemo';
import type { Demo, DemoElectron } from '../demo/app/startDemo';
import type { CollectedEvent } from '../demo/shared/collectedEvent';
import { FakeClock } from './support/clock';
import { buildDemo } from './support/demoBuild';
import { PageElectron } from './support/pageElectron';
import { assertValidClientSession } from './support/schemas';
import { launchChromium } from './support/chromium';
import { tempDir } from './support/tmp';

const ARTIFACTS = join(__dirname, '..', 'test-results');
const BACKGROUND_TIMEOUT = 30;

// The timeout only bounds a hang (an event that never arrives); nothing here waits for time.
describe('the demo end to end in headless Chromium', { timeout: 120_000 }, () => {
  const dir = tempDir('ecs-e2e-');
  const clock = new FakeClock();
  const problems: string[] = [];
  const logger = {
    error: (message: string) => void problems.push(`error: ${message}`),
    warn: (message: string) => void problems.push(`warn: ${message}`),
    info: () => undefined,
    debug: () => undefined,
  };
  let browser: Browser;
  let electron: PageElectron;
  let demo: Demo;
  let first: Page;
  let second: Page;
  let preloadPath: string;

  /** Resolves once the collector holds `count` events; they arrive as the trackers send. */
  const collected = (count: number): Promise<readonly CollectedEvent[]> =>
    new Promise((resolve) => {
      const check = () => {
        const events = demo.collector?.events() ?? [];
        if (events.length < count) return false;
        stop();
        resolve(events);
        return true;
      };
      const stop = demo.collector?.onEvent(() => void check()) ?? (() => undefined);
      check();
    });

  const shownEvents = (page: Page, count: number) =>
    page.waitForFunction((n) => document.querySelectorAll('#events .event').length === n, count);

  const field = (page: Page, name: string) =>
    page.locator(`#entity [data-field="${name}"]`).evaluate((node) => node.firstChild?.textContent);

  const clickAndCollect = async (page: Page, button: string, count: number) => {
    await page.click(button);
    const events = await collected(count);
    return events[count - 1] as CollectedEvent;
  };

  before(async () => {
    const built = await buildDemo(join(dir, 'build'), ['preload', 'renderer']);
    preloadPath = built.preload;
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
    context.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
    });
    context.on('console', (message) => {
      // The stand-in transport's synchronous XMLHttpRequest may draw a deprecation notice; it
      // is not the demo's doing (Electron's sendSync is not an XHR).
      if (message.text().includes('Synchronous XMLHttpRequest')) return;
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`page ${message.type()}: ${message.text()}`);
      }
    });
    electron = new PageElectron({
      context,
      rendererDir: built.rendererDir,
      userData: join(dir, 'userData'),
    });
    const rendererUrl = await electron.start();
    demo = await startDemo(electron as unknown as DemoElectron, {
      rendererUrl,
      preloadPath: built.preload,
      clock: clock.now,
      foregroundTimeout: 300,
      backgroundTimeout: BACKGROUND_TIMEOUT,
      logger,
    });
    await demo.openWindow();
    first = electron.pages[0] as Page;
    await first.waitForSelector('body[data-ready="true"]');
  });

  after(async () => {
    await demo?.close();
    await electron?.close();
    await browser?.close();
  });

  test('windows are isolated and sandboxed, and run the built preload', async () => {
    const [opened] = electron.BrowserWindow.getAllWindows();
    assert.deepEqual(opened?.options.webPreferences, {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    });
    assert.deepEqual(
      await first.evaluate(
        () => (window as unknown as { __preloadRequired: string[] }).__preloadRequired,
      ),
      ['electron'],
    );
    assert.equal(
      await first.evaluate(() => typeof (window as unknown as { require?: unknown }).require),
      'undefined',
    );
  });

  test('the window shows the session from the main process before any event', async () => {
    assert.equal(await first.locator('#window-label').textContent(), 'window 1');
    assert.equal(await first.locator('#state').getAttribute('data-state'), 'foreground');
    assert.equal(await field(first, 'sessionId'), '—');
    assert.match(
      (await first.locator('#collector').textContent()) ?? '',
      /embedded at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  test('an event tracked in the window arrives with session 1, event 1, stamped in main', async () => {
    const event = await clickAndCollect(first, '#track-renderer', 1);
    assert.equal(event.trackerNamespace, 'window1');
    assert.equal(event.name, 'demo / track-from-window / window 1');
    assert.equal(event.clientSessionCount, 1);
    assert.equal(event.clientSession?.sessionIndex, 1);
    assert.equal(event.clientSession?.eventIndex, 1);
    assert.equal(event.clientSession?.firstEventId, event.eventId);
    assert.equal(event.clientSession?.storageMechanism, 'SQLITE');
    assert.deepEqual(demo.session.getSnapshot().entity, event.clientSession);
    await shownEvents(first, 1);
  });

  test('an event tracked by main continues the same session as event 2', async () => {
    const [one] = await collected(1);
    const event = await clickAndCollect(first, '#track-main', 2);
    assert.equal(event.trackerNamespace, 'main');
    assert.equal(event.clientSession?.sessionId, one?.clientSession?.sessionId);
    assert.equal(event.clientSession?.eventIndex, 2);
    await shownEvents(first, 2);
  });

  test('a second window shares the session; every window lists every event', async () => {
    await first.click('#open-window');
    await first.waitForFunction(
      () => document.getElementById('status')?.textContent === 'opened window 2',
    );
    second = electron.pages[1] as Page;
    await second.waitForSelector('body[data-ready="true"]');
    assert.equal(await second.locator('#window-label').textContent(), 'window 2');

    const [one] = await collected(1);
    const event = await clickAndCollect(second, '#track-renderer', 3);
    assert.equal(event.trackerNamespace, 'window2');
    assert.equal(event.clientSession?.sessionId, one?.clientSession?.sessionId);
    assert.equal(event.clientSession?.eventIndex, 3);
    await shownEvents(first, 3);
    await shownEvents(second, 3);
  });

  test('going to the background is pushed to every window', async () => {
    await second.click('#toggle-background');
    for (const page of [first, second]) {
      await page.waitForFunction(
        () => document.getElementById('state')?.dataset.state === 'background',
      );
      assert.equal(await page.locator('#toggle-background').textContent(), 'Come to foreground');
    }
    assert.equal(demo.session.getIsBackground(), true);
  });

  test('back after the background timeout, the next event starts session 2', async () => {
    const [one] = await collected(1);
    clock.advanceSeconds(BACKGROUND_TIMEOUT + 1);
    await first.click('#toggle-background');
    await first.waitForFunction(
      () => document.getElementById('state')?.dataset.state === 'foreground',
    );
    assert.equal(demo.session.getSnapshot().newSessionDue, true);

    const event = await clickAndCollect(first, '#track-renderer', 4);
    assert.equal(event.clientSession?.sessionIndex, 2);
    assert.equal(event.clientSession?.eventIndex, 1);
    assert.equal(event.clientSession?.previousSessionId, one?.clientSession?.sessionId);
    assert.equal(event.clientSession?.firstEventId, event.eventId);
    // The session start was pushed: the other window shows the new session too.
    await second.waitForFunction(
      () =>
        document.querySelector('#entity [data-field="sessionIndex"]')?.firstChild?.textContent ===
        '2',
    );
  });

  test('a new session asked for in one window starts at the next event, wherever it is tracked', async () => {
    const [, , , fourth] = await collected(4);
    await second.click('#new-session');
    await second.waitForFunction(() =>
      document.getElementById('status')?.textContent?.startsWith('the next event'),
    );
    const event = await clickAndCollect(second, '#track-main', 5);
    assert.equal(event.trackerNamespace, 'main');
    assert.equal(event.clientSession?.sessionIndex, 3);
    assert.equal(event.clientSession?.eventIndex, 1);
    assert.equal(event.clientSession?.previousSessionId, fourth?.clientSession?.sessionId);
    await shownEvents(first, 5);
    await shownEvents(second, 5);
    await first.waitForFunction(
      () =>
        document.querySelector('#entity [data-field="sessionIndex"]')?.firstChild?.textContent ===
        '3',
    );
  });

  test('what the collector received: valid entities, one user, indexes in order', async () => {
    const events = await collected(5);
    assert.equal(events.length, 5);
    for (const event of events) {
      assert.equal(event.clientSessionCount, 1, `event ${event.sequence}`);
      assertValidClientSession(event.clientSession);
    }
    const sessions = events.map((event) => event.clientSession!);
    assert.equal(new Set(sessions.map((s) => s.userId)).size, 1);
    assert.deepEqual(
      sessions.map((s) => [s.sessionIndex, s.eventIndex]),
      [
        [1, 1],
        [1, 2],
        [1, 3],
        [2, 1],
        [3, 1],
      ],
    );
    assert.deepEqual(
      events.map((event) => event.trackerNamespace),
      ['window1', 'main', 'window2', 'window1', 'main'],
    );
    assert.equal(new Set(sessions.map((s) => s.sessionId)).size, 3);
    assert.equal(sessions[0]?.previousSessionId, null);

    await electron.settle();
    mkdirSync(ARTIFACTS, { recursive: true });
    await first.screenshot({ path: join(ARTIFACTS, 'e2e-demo-window-1.png'), fullPage: true });
    await second.screenshot({ path: join(ARTIFACTS, 'e2e-demo-window-2.png'), fullPage: true });
    assert.deepEqual(electron.pageErrors, []);
    assert.deepEqual(problems, []);
  });
});
