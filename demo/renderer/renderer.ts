// The demo window: shows the main process's session live, tracks events from here (browser
// tracker, stamped through the bridge) and from main, and lists what the collector receives.
import { newTracker, trackStructEvent } from '@snowplow/browser-tracker';
import { clientSessionBrowserPlugin, getClientSession } from 'electron-client-session/renderer';
import type { ClientSessionEntity, SessionSnapshot } from 'electron-client-session/renderer';

import type { CollectedEvent } from '../shared/collectedEvent';
import type { DemoBridge } from '../shared/demoBridge';

declare global {
  interface Window {
    /** The demo's own controls, from demo/preload.ts. */
    readonly demo: DemoBridge;
  }
}

const MAX_CHANGES = 30;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`demo: #${id} is missing from index.html`);
  return element as T;
};

const element = (tag: string, className: string | null, text?: string): HTMLElement => {
  const node = document.createElement(tag);
  if (className !== null) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

const time = (ms: number | null): string =>
  ms === null ? '—' : new Date(ms).toLocaleTimeString([], { hour12: false });

const short = (uuid: string | null | undefined): string =>
  uuid === null || uuid === undefined ? 'null' : `${uuid.slice(0, 8)}…`;

async function main(): Promise<void> {
  const demo = window.demo;
  const session = getClientSession();
  const info = await demo.info();
  const trackerId = `window${info.windowNumber}`;

  document.title = `electron-client-session demo — window ${info.windowNumber}`;
  $('window-label').textContent = `window ${info.windowNumber}`;
  $('collector').textContent =
    info.collector === 'embedded'
      ? `embedded at ${info.collectorUrl}`
      : `external at ${info.collectorUrl} — its events are not shown here`;

  newTracker(trackerId, info.collectorUrl, {
    appId: info.appId,
    platform: 'pc',
    eventMethod: 'post',
    bufferSize: 1,
    credentials: 'omit',
    stateStorageStrategy: 'none',
    // The client_session entity comes from the main process's session, through the bridge.
    contexts: { session: false, webPage: false, browser: false },
    plugins: [clientSessionBrowserPlugin({ session })],
  });

  let snapshot: SessionSnapshot = await session.getSnapshot();
  const refresh = async () => {
    snapshot = await session.getSnapshot();
    renderSnapshot(snapshot, info.storePath);
  };
  renderSnapshot(snapshot, info.storePath);
  session.onChange(
    (pushed) => {
      snapshot = pushed;
      renderSnapshot(pushed, info.storePath);
      addChange(pushed);
    },
    (error) => showStatus(`subscribing failed: ${error.message}`, true),
  );

  const shown = new Set<number>();
  const show = (event: CollectedEvent) => {
    if (shown.has(event.sequence)) return;
    shown.add(event.sequence);
    addEvent(event);
    $('event-count').textContent = `${shown.size} event${shown.size === 1 ? '' : 's'}`;
  };
  if (info.collector === 'embedded') {
    demo.onCollected((event) => {
      show(event);
      void refresh();
    });
    for (const event of await demo.events()) show(event);
  }

  const act = (id: string, run: () => Promise<string> | string) => {
    $(id).addEventListener('click', () => {
      Promise.resolve()
        .then(run)
        .then((message) => showStatus(message, false))
        .catch((error: unknown) => showStatus(String(error), true))
        .finally(() => void refresh());
    });
  };
  act('track-renderer', () => {
    trackStructEvent(
      { category: 'demo', action: 'track-from-window', label: `window ${info.windowNumber}` },
      [trackerId],
    );
    return `tracked an event from window ${info.windowNumber}`;
  });
  act('track-main', async () => {
    await demo.trackFromMain(`asked by window ${info.windowNumber}`);
    return 'the main process tracked an event';
  });
  act('open-window', async () => `opened window ${await demo.openWindow()}`);
  act('new-session', async () => {
    await session.startNewSession();
    return 'the next event, from any window or main, starts a new session';
  });
  act('toggle-background', async () => {
    const background = !snapshot.isBackground;
    await demo.setBackground(background);
    return background
      ? 'in the background by hand (a window focus brings the app back)'
      : 'back in the foreground by hand';
  });
  document.body.dataset.ready = 'true';
}

function renderSnapshot(snapshot: SessionSnapshot, storePath: string | null): void {
  const entity: Partial<ClientSessionEntity> = snapshot.entity ?? {};
  fields($('entity'), [
    ['userId', entity.userId],
    ['sessionId', entity.sessionId],
    ['sessionIndex', entity.sessionIndex],
    ['eventIndex', entity.eventIndex, 'of the last event stamped'],
    [
      'previousSessionId',
      entity.previousSessionId === undefined ? undefined : String(entity.previousSessionId),
    ],
    ['storageMechanism', entity.storageMechanism, storePath ?? 'in memory'],
    ['firstEventId', entity.firstEventId],
    [
      'firstEventTimestamp',
      entity.firstEventTimestamp,
      // The entity's UTC time, beside the local times shown below.
      entity.firstEventTimestamp === undefined
        ? undefined
        : `${time(Date.parse(entity.firstEventTimestamp))} local`,
    ],
  ]);
  fields($('timing'), [
    ['state', snapshot.isBackground ? 'background' : 'foreground'],
    [
      'timeout',
      `${snapshot.timeoutSeconds} s`,
      snapshot.isBackground ? 'background' : 'foreground',
    ],
    ['lastActivity', time(snapshot.lastActivity)],
    [
      'expiresAt',
      snapshot.newSessionDue ? 'a new session starts at the next event' : time(snapshot.expiresAt),
    ],
  ]);

  const state = $('state');
  state.textContent = snapshot.isBackground ? 'BACKGROUND' : 'FOREGROUND';
  state.dataset.state = snapshot.isBackground ? 'background' : 'foreground';
  $('toggle-background').textContent = snapshot.isBackground
    ? 'Come to foreground'
    : 'Go to background';
}

function fields(list: HTMLElement, rows: [string, unknown, string?][]): void {
  list.replaceChildren(
    ...rows.flatMap(([name, value, note]) => {
      const dd = element('dd', null, value === undefined ? '—' : String(value));
      dd.dataset.field = name;
      if (note !== undefined) dd.append(element('span', 'dim note', ` ${note}`));
      return [element('dt', null, name), dd];
    }),
  );
}

function addChange(snapshot: SessionSnapshot): void {
  const entity = snapshot.entity;
  const item = element(
    'li',
    null,
    [
      time(Date.now()),
      snapshot.isBackground ? 'background' : 'foreground',
      entity === null ? 'no session yet' : `#${entity.sessionIndex} ${short(entity.sessionId)}`,
    ].join('  '),
  );
  if (snapshot.newSessionDue) item.append(element('span', 'due', '  new session due'));
  const list = $('changes');
  list.prepend(item);
  while (list.children.length > MAX_CHANGES) list.lastElementChild?.remove();
}

function addEvent(event: CollectedEvent): void {
  const entity = event.clientSession;
  const row = element('details', `event session-${(entity?.sessionIndex ?? 0) % 6}`);
  row.dataset.tracker = event.trackerNamespace ?? '';
  row.dataset.sessionIndex = String(entity?.sessionIndex ?? '');
  row.dataset.eventIndex = String(entity?.eventIndex ?? '');
  const summary = element('summary', null);
  summary.append(
    element('span', null, String(event.sequence)),
    element('span', 'tracker', event.trackerNamespace ?? '?'),
    element('span', null, event.name),
    element('span', null, entity === null ? '—' : `#${entity.sessionIndex}`),
    element('span', null, entity === null ? '—' : String(entity.eventIndex)),
    element('span', 'mono', short(entity?.sessionId)),
    element(
      'span',
      event.clientSessionCount === 1 ? 'ok' : 'warn',
      event.clientSessionCount === 1 ? '✓ client_session' : `⚠ ${event.clientSessionCount}`,
    ),
  );
  row.append(summary, element('pre', null, JSON.stringify(entity, null, 2)));
  $('events').prepend(row);
}

function showStatus(message: string, isError: boolean): void {
  const status = $('status');
  status.textContent = message;
  status.classList.toggle('error', isError);
}

main().catch((error: unknown) => showStatus(`the demo could not start: ${String(error)}`, true));
