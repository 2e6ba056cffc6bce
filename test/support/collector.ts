// A real Snowplow collector endpoint on 127.0.0.1 for tests: takes the trackers' POST
// requests and decodes each event and its entities.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  /** The raw tracker payload (all values strings). */
  readonly payload: Record<string, string>;
  /** The decoded `cx`/`co` entities. */
  readonly entities: { schema: string; data: Record<string, unknown> }[];
}

export interface TestCollector {
  readonly endpoint: string;
  readonly events: ReceivedEvent[];
  /** Resolves once at least `count` events have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

export function decodeEntities(payload: Record<string, string>): ReceivedEvent['entities'] {
  const json =
    payload.cx !== undefined ? Buffer.from(payload.cx, 'base64url').toString('utf8') : payload.co;
  if (json === undefined) return [];
  return (JSON.parse(json) as { data: ReceivedEvent['entities'] }).data;
}

export async function startCollector(): Promise<TestCollector> {
  const events: ReceivedEvent[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          data: Record<string, string>[];
        };
        for (const payload of body.data)
          events.push({ payload, entities: decodeEntities(payload) });
        for (const wake of waiters.splice(0)) wake();
      }
      res.writeHead(200, { 'access-control-allow-origin': '*' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`collector: ${events.length} of ${count} events after ${timeoutMs} ms`);
        }
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
