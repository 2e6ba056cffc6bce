import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { buildSelfDescribingEvent, buildStructEvent, newTracker } from '@snowplow/node-tracker';

import { startCollector } from '../demo/app/startCollector';
import type { Collector } from '../demo/app/startCollector';
import type { CollectedEvent } from '../demo/shared/collectedEvent';
import { ClientSession, MemorySessionStore, clientSessionPlugin } from '../src/main';
import { assertValidClientSession } from './support/schemas';

const TP2 = '/com.snowplowanalytics.snowplow/tp2';

function nextEvents(collector: Collector, count: number): Promise<CollectedEvent[]> {
  return new Promise((resolve) => {
    const seen: CollectedEvent[] = [];
    const stop = collector.onEvent((event) => {
      seen.push(event);
      if (seen.length === count) {
        stop();
        resolve(seen);
      }
    });
  });
}

describe("the demo's embedded collector", () => {
  const collectors: Collector[] = [];
  const start = async () => {
    const collector = await startCollector();
    collectors.push(collector);
    return collector;
  };
  after(() => Promise.all(collectors.map((collector) => collector.close())));

  for (const encodeBase64 of [true, false]) {
    test(`decodes a real node tracker's events with entities in ${encodeBase64 ? 'cx' : 'co'}`, async () => {
      const collector = await start();
      const session = new ClientSession({ store: new MemorySessionStore() });
      const tracker = newTracker(
        { namespace: 'main', appId: 'demo', encodeBase64 },
        { endpoint: collector.url, bufferSize: 1 },
      );
      tracker.addPlugin({ plugin: clientSessionPlugin(session) });

      const arrived = nextEvents(collector, 2);
      tracker.track(buildStructEvent({ category: 'demo', action: 'click', label: 'main' }));
      tracker.track(
        buildSelfDescribingEvent({
          event: {
            schema: 'iglu:com.snowplowanalytics.snowplow/application_foreground/jsonschema/1-0-0',
            data: { foregroundIndex: 1 },
          },
        }),
      );
      await tracker.flush();
      const [first, second] = await arrived;
      assert.ok(first && second);

      assert.equal(first.eventType, 'se');
      assert.equal(first.name, 'demo / click / main');
      assert.equal(first.trackerNamespace, 'main');
      assert.equal(first.appId, 'demo');
      assert.equal(second.eventType, 'ue');
      assert.equal(second.name, 'application_foreground');
      for (const event of [first, second]) {
        assert.equal(event.clientSessionCount, 1);
        assertValidClientSession(event.clientSession);
        assert.equal(event.payload[encodeBase64 ? 'cx' : 'co'] !== undefined, true);
      }
      assert.deepEqual([first.clientSession?.eventIndex, second.clientSession?.eventIndex], [1, 2]);
      assert.equal(first.clientSession?.firstEventId, first.eventId);
      assert.deepEqual(
        collector.events().map((event) => event.sequence),
        [1, 2],
      );
    });
  }

  test('takes the one-event GET /i form too', async () => {
    const collector = await start();
    const response = await fetch(
      `${collector.url}/i?e=pv&eid=8d2d2f1c-0f5b-4b6e-9d6f-000000000001&url=app%3A%2F%2Fhome`,
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/gif');
    const [event] = collector.events();
    assert.equal(event?.eventType, 'pv');
    assert.equal(event?.name, 'page view app://home');
    assert.equal(event?.clientSession, null);
    assert.equal(event?.clientSessionCount, 0);
  });

  test('refuses a malformed request with 400, records nothing and says why', async () => {
    const collector = await start();
    const reasons: string[] = [];
    collector.onRejected((reason) => reasons.push(reason));
    const bodies = [
      'not json',
      JSON.stringify({ schema: 'iglu:x/y/jsonschema/1-0-0', data: [] }),
      JSON.stringify({
        schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
        data: [{ e: 'se', eid: 'x', cx: '%%%' }],
      }),
      JSON.stringify({
        schema: 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4',
        data: [{ e: 'se' }],
      }),
    ];
    for (const body of bodies) {
      const response = await fetch(collector.url + TP2, { method: 'POST', body });
      assert.equal(response.status, 400);
    }
    assert.deepEqual(collector.events(), []);
    assert.deepEqual(reasons, [
      'the body is not JSON',
      'unexpected schema iglu:x/y/jsonschema/1-0-0',
      'cx is not base64',
      'an event has no eid or no e',
    ]);
  });

  test('refuses a body over the size limit with 413', async () => {
    const collector = await startCollector({ maxBodyBytes: 1000 });
    collectors.push(collector);
    const response = await fetch(collector.url + TP2, { method: 'POST', body: 'x'.repeat(5000) });
    assert.equal(response.status, 413);
    assert.deepEqual(collector.events(), []);
  });

  test('answers a preflight from a window as a collector does, echoing its origin', async () => {
    const collector = await start();
    const response = await fetch(collector.url + TP2, {
      method: 'OPTIONS',
      headers: { origin: 'null', 'access-control-request-method': 'POST' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'null');
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
  });
});
