// The demo end to end in headless Chromium: its real page and its real built preload in browser
// pages, talking to its real main-process code (startDemo: createClientSession, the library's
// IPC handlers and focus tracking, a SQLite store, the node tracker, the embedded collector)
// over a stand-in for Electron's IPC only (test/support/pageElectron.ts), whose windows take and
// lose the focus as the test says. The session runs on a fake clock, so that the background
// timeout passes at once; the pages' clocks follow it.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { startCollector } from '../demo/app/startCollector';
import { startDemo } from '../demo/app/startDemo';
import type { Demo, DemoElectron } from '../demo/app/startDemo';
import type { CollectedEvent } from '../demo/shared/collectedEvent';
import { FakeClock } from './support/clock';
import { buildDemo } from './support/demoBuild';
import { PageElectron } from './support/pageElectron';
import { assertValidClientSession, assertValidLifecycleEvent } from './support/schemas';
import { launchChromium } from './support/chromium';
import { tempDir } from './support/tmp';

const ARTIFACTS = join(__dirname, '..', 'test-results');
const BACKGROUND_TIMEOUT = 30;

/** The data of a self-describing event as the collector received it (`ue_px`). */
function eventData(event: CollectedEvent | undefined): Record<string, unknown> {
  const json = Buffer.from(event?.payload.ue_px ?? '', 'base64url').toString('utf8');
  return (JSON.parse(json) as { data: { data: Record<string, unknown> } }).data.data;
}

// The timeout only bounds a hang (an event that never arrives); nothing here waits for time but
// the library's grace period after a blur (half a second).
describe('the demo end to end in headless Chromium', { timeout: 120_000 }, () => {
  const dir = tempDir('ecs-e2e-');
  // Near the real time: the library's lifecycle events carry the tracker's own timestamp.
  const clock = new FakeClock(Date.now());
  const problems: string[] = [];
  const logger = {
    error: (message: string) => void problems.push(`error: ${message}`),
    warn: (message: string) => void problems.push(`warn: ${message}`),
    info: () => undefined,
    debug: () => undefined,
  };
  let browser: Browser;
  let context: BrowserContext;
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

  const shownState = (page: Page, state: 'foreground' | 'background') =>
    page.waitForFunction((s) => document.getElementById('state')?.dataset.state === s, state);

  const shownSessionIndex = (page: Page, index: number) =>
    page.waitForFunction(
      (i) =>
        document.querySelector('#entity [data-field="sessionIndex"]')?.firstChild?.textContent ===
        String(i),
      index,
    );

  const field = (page: Page, name: string) =>
    page.locator(`#entity [data-field="${name}"]`).evaluate((node) => node.firstChild?.textContent);

  /** Moves the fake clock, the session's and the pages' alike. */
  const advanceSeconds = async (seconds: number) => {
    clock.advanceSeconds(seconds);
    await context.clock.setFixedTime(clock.time);
  };

  /**
   * Clicks in a window as a user does: the window takes the focus first (a focus change between
   * two of the app's windows is no transition), and comes to the front, where Chromium does not
   * throttle it.
   */
  const clickIn = async (page: Page, selector: string) => {
    electron.windowOf(page).focus();
    await page.bringToFront();
    await page.click(selector);
  };

  const clickAndCollect = async (page: Page, button: string, count: number) => {
    await clickIn(page, button);
    const events = await collected(count);
    return events[count - 1] as CollectedEvent;
  };

  before(async () => {
    const built = await buildDemo(join(dir, 'build'), ['preload', 'renderer']);
    preloadPath = built.preload;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
    await context.clock.setFixedTime(clock.time);
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

  test('the first window takes the focus: the foreground, tracked by main, starts session 1', async () => {
    const [launched] = await collected(1);
    assert.equal(launched?.trackerNamespace, 'main');
    assert.equal(launched?.name, 'application_foreground');
    assert.deepEqual(eventData(launched), { foregroundIndex: 1 });
    assert.equal(launched?.clientSession?.sessionIndex, 1);
    assert.equal(launched?.clientSession?.eventIndex, 1);

    assert.equal(await first.locator('#window-label').textContent(), 'window 1');
    await shownState(first, 'foreground');
    await shownSessionIndex(first, 1);
    await shownEvents(first, 1);
    assert.match(
      (await first.locator('#collector').textContent()) ?? '',
      /embedded at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  test('an event tracked in the window continues session 1 as event 2, stamped in main', async () => {
    const [launched] = await collected(1);
    const event = await clickAndCollect(first, '#track-renderer', 2);
    assert.equal(event.trackerNamespace, 'window1');
    assert.equal(event.name, 'demo / track-from-window / window 1');
    assert.equal(event.clientSessionCount, 1);
    assert.equal(event.clientSession?.sessionId, launched?.clientSession?.sessionId);
    assert.equal(event.clientSession?.eventIndex, 2);
    assert.equal(event.clientSession?.storageMechanism, 'SQLITE');
    // The page's clock follows the session's.
    assert.equal(event.deviceTimestamp, clock.time);
    assert.deepEqual(demo.session.getSnapshot().entity, event.clientSession);
    await shownEvents(first, 2);
  });

  test('an event tracked by main continues the same session as event 3', async () => {
    const [launched] = await collected(1);
    const event = await clickAndCollect(first, '#track-main', 3);
    assert.equal(event.trackerNamespace, 'main');
    assert.equal(event.clientSession?.sessionId, launched?.clientSession?.sessionId);
    assert.equal(event.clientSession?.eventIndex, 3);
    await shownEvents(first, 3);
  });

  test('a second window takes the focus without a transition and shares the session', async () => {
    await clickIn(first, '#open-window');
    await first.waitForFunction(
      () => document.getElementById('status')?.textContent === 'opened window 2',
    );
    second = electron.pages[1] as Page;
    await second.waitForSelector('body[data-ready="true"]');
    assert.equal(await second.locator('#window-label').textContent(), 'window 2');
    assert.equal(electron.BrowserWindow.getFocusedWindow(), electron.windowOf(second));

    const [launched] = await collected(1);
    // Window 1's blur was followed at once by window 2's focus: nothing was tracked between.
    const event = await clickAndCollect(second, '#track-renderer', 4);
    assert.equal(event.trackerNamespace, 'window2');
    assert.equal(event.clientSession?.sessionId, launched?.clientSession?.sessionId);
    assert.equal(event.clientSession?.eventIndex, 4);
    assert.equal(demo.session.getIsBackground(), false);
    await shownEvents(first, 4);
    await shownEvents(second, 4);
  });

  test("the demo's toggle goes to the background by hand, pushed to every window", async () => {
    await clickIn(second, '#toggle-background');
    for (const page of [first, second]) {
      await shownState(page, 'background');
      assert.equal(await page.locator('#toggle-background').textContent(), 'Come to foreground');
    }
    assert.equal(demo.session.getIsBackground(), true);
  });

  test('back by hand after the background timeout, the next event starts session 2', async () => {
    const [launched] = await collected(1);
    await advanceSeconds(BACKGROUND_TIMEOUT + 1);
    await clickIn(second, '#toggle-background');
    await shownState(first, 'foreground');
    assert.equal(demo.session.getSnapshot().newSessionDue, true);

    const event = await clickAndCollect(second, '#track-renderer', 5);
    assert.equal(event.clientSession?.sessionIndex, 2);
    assert.equal(event.clientSession?.eventIndex, 1);
    assert.equal(event.clientSession?.previousSessionId, launched?.clientSession?.sessionId);
    assert.equal(event.clientSession?.firstEventId, event.eventId);
    // The session start was pushed: the other window shows the new session too.
    await shownSessionIndex(first, 2);
  });

  test('no window of the app focused: after the grace period, the background, tracked', async () => {
    electron.windowOf(second).blur();
    assert.equal(electron.BrowserWindow.getFocusedWindow(), null);
    for (const page of [first, second]) await shownState(page, 'background');

    const events = await collected(6);
    const background = events[5];
    assert.equal(background?.trackerNamespace, 'main');
    assert.equal(background?.name, 'application_background');
    assert.deepEqual(eventData(background), { backgroundIndex: 1 });
    // Judged by the foreground timeout, the state left: the session goes on.
    assert.equal(background?.clientSession?.sessionIndex, 2);
    assert.equal(background?.clientSession?.eventIndex, 2);
    assert.equal(demo.session.getIsBackground(), true);
  });

  test('a window focused after the background timeout: the foreground starts session 3', async () => {
    const [, , , , fifth] = await collected(5);
    await advanceSeconds(BACKGROUND_TIMEOUT + 1);
    electron.windowOf(first).focus();

    const events = await collected(7);
    const foreground = events[6];
    assert.equal(foreground?.trackerNamespace, 'main');
    assert.equal(foreground?.name, 'application_foreground');
    assert.deepEqual(eventData(foreground), { foregroundIndex: 2 });
    // Judged by the background timeout, the state left: a new session, from this event on.
    assert.equal(foreground?.clientSession?.sessionIndex, 3);
    assert.equal(foreground?.clientSession?.eventIndex, 1);
    assert.equal(foreground?.clientSession?.previousSessionId, fifth?.clientSession?.sessionId);
    assert.equal(foreground?.clientSession?.firstEventId, foreground?.eventId);
    for (const page of [first, second]) {
      await shownState(page, 'foreground');
      await shownSessionIndex(page, 3);
    }

    const next = await clickAndCollect(first, '#track-renderer', 8);
    assert.equal(next.trackerNamespace, 'window1');
    assert.equal(next.clientSession?.sessionId, foreground?.clientSession?.sessionId);
    assert.equal(next.clientSession?.eventIndex, 2);
  });

  test('a new session asked for in one window starts at the next event, wherever it is tracked', async () => {
    const events = await collected(8);
    await clickIn(second, '#new-session');
    await second.waitForFunction(() =>
      document.getElementById('status')?.textContent?.startsWith('the next event'),
    );
    const event = await clickAndCollect(second, '#track-main', 9);
    assert.equal(event.trackerNamespace, 'main');
    assert.equal(event.clientSession?.sessionIndex, 4);
    assert.equal(event.clientSession?.eventIndex, 1);
    assert.equal(event.clientSession?.previousSessionId, events[7]?.clientSession?.sessionId);
    await shownEvents(first, 9);
    await shownEvents(second, 9);
    await shownSessionIndex(first, 4);
  });

  test('what the collector received: valid entities, one user, indexes in order', async () => {
    const events = await collected(9);
    assert.equal(events.length, 9);
    for (const event of events) {
      assert.equal(event.clientSessionCount, 1, `event ${event.sequence}`);
      assertValidClientSession(event.clientSession);
      if (event.name.startsWith('application_')) {
        assertValidLifecycleEvent(event.name, eventData(event));
      }
    }
    const sessions = events.map((event) => event.clientSession!);
    assert.equal(new Set(sessions.map((s) => s.userId)).size, 1);
    assert.deepEqual(
      sessions.map((s) => [s.sessionIndex, s.eventIndex]),
      [
        [1, 1],
        [1, 2],
        [1, 3],
        [1, 4],
        [2, 1],
        [2, 2],
        [3, 1],
        [3, 2],
        [4, 1],
      ],
    );
    assert.deepEqual(
      events.map((event) => [event.trackerNamespace, event.name.split(' / ')[1] ?? event.name]),
      [
        ['main', 'application_foreground'],
        ['window1', 'track-from-window'],
        ['main', 'track-from-main'],
        ['window2', 'track-from-window'],
        ['window2', 'track-from-window'],
        ['main', 'application_background'],
        ['main', 'application_foreground'],
        ['window1', 'track-from-window'],
        ['main', 'track-from-main'],
      ],
    );
    assert.equal(new Set(sessions.map((s) => s.sessionId)).size, 4);
    assert.equal(sessions[0]?.previousSessionId, null);

    await electron.settle();
    mkdirSync(ARTIFACTS, { recursive: true });
    await first.screenshot({ path: join(ARTIFACTS, 'e2e-demo-window-1.png'), fullPage: true });
    await second.screenshot({ path: join(ARTIFACTS, 'e2e-demo-window-2.png'), fullPage: true });
    assert.deepEqual(electron.pageErrors, []);
    assert.deepEqual(problems, []);
  });
});

describe('the demo in headless Chromium, sending to a collector on another host', () => {
  // SNOWPLOW_COLLECTOR_URL may name any host, such as a Snowplow Micro on another machine over
  // http. Chromium resolves every *.localhost name to this machine, so this one stands for
  // another host here, while the page's Content-Security-Policy sees a host it does not list.
  test("the window's tracker reaches it, the page's Content-Security-Policy allowing it", async (t) => {
    const dir = tempDir('ecs-e2e-external-');
    const external = await startCollector();
    t.after(() => external.close());
    const collectorUrl = external.url.replace('127.0.0.1', 'collector.localhost');
    const refused: string[] = [];

    const built = await buildDemo(join(dir, 'build'), ['preload', 'renderer']);
    const browser = await launchChromium();
    t.after(() => browser.close());
    const context = await browser.newContext();
    context.on('console', (message) => {
      if (message.type() === 'error') refused.push(message.text());
    });
    const electron = new PageElectron({
      context,
      rendererDir: built.rendererDir,
      userData: join(dir, 'userData'),
    });
    const demo = await startDemo(electron as unknown as DemoElectron, {
      rendererUrl: await electron.start(),
      preloadPath: built.preload,
      collectorUrl,
      // The main process cannot resolve *.localhost names: it sends nothing in this test.
      lifecycleEvents: false,
    });
    t.after(async () => {
      await demo.close();
      await electron.close();
    });
    await demo.openWindow();
    const page = electron.pages[0] as Page;
    await page.waitForSelector('body[data-ready="true"]');
    assert.match((await page.locator('#collector').textContent()) ?? '', /external at http:/);

    const arrived = new Promise<CollectedEvent>((resolve) => {
      const stop = external.onEvent((event) => {
        stop();
        resolve(event);
      });
    });
    await page.click('#track-renderer');
    const blocked = page
      .waitForEvent('console', {
        predicate: (message) => message.text().includes('Content Security Policy'),
      })
      .then((message) => assert.fail(message.text()));
    const event = await Promise.race([arrived, blocked]);
    assert.equal(event.trackerNamespace, 'window1');
    assertValidClientSession(event.clientSession);
    assert.deepEqual(refused, []);
  });
});
