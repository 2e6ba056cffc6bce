import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { CollectedEvent } from '../shared/collectedEvent';
import { BadTrackerRequestError, decodePostBody, decodeQuery } from './decodeTrackerRequest';
import type { DecodedEvent } from './decodeTrackerRequest';

export interface CollectorOptions {
  /**
   * Port to listen on, on 127.0.0.1 only; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * Largest request body accepted, in bytes. Bigger requests get 413.
   * @default 1_000_000
   */
  readonly maxBodyBytes?: number;
  /**
   * Most events kept; the oldest are dropped beyond this.
   * @default 1000
   */
  readonly maxEvents?: number;
  /** The time now, in epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

export interface Collector {
  /** Where trackers send: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The events received so far, oldest first. */
  events(): readonly CollectedEvent[];
  /** Calls `listener` with each event as it arrives. Returns an unsubscribe. */
  onEvent(listener: (event: CollectedEvent) => void): () => void;
  /** Calls `listener` with the reason for each request refused. Returns an unsubscribe. */
  onRejected(listener: (reason: string) => void): () => void;
  close(): Promise<void>;
}

const TP2_PATH = '/com.snowplowanalytics.snowplow/tp2';
// A transparent 1x1 GIF, what collectors answer to GET /i.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * A small stand-in for a Snowplow collector, for the demo: receives the trackers' requests on
 * 127.0.0.1, decodes them and keeps the events. It validates nothing beyond the request's shape
 * and stores nothing on disk.
 */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const maxBodyBytes = options.maxBodyBytes ?? 1_000_000;
  const maxEvents = options.maxEvents ?? 1000;
  const clock = options.clock ?? Date.now;
  const events: CollectedEvent[] = [];
  const eventListeners = new Set<(event: CollectedEvent) => void>();
  const rejectListeners = new Set<(reason: string) => void>();
  let sequence = 0;

  const accept = (decoded: DecodedEvent[]) => {
    const receivedAt = clock();
    for (const event of decoded) {
      const collected: CollectedEvent = { sequence: ++sequence, receivedAt, ...event };
      events.push(collected);
      if (events.length > maxEvents) events.shift();
      for (const listener of [...eventListeners]) callSafely(() => listener(collected));
    }
  };

  const reject = (response: ServerResponse, status: number, reason: string) => {
    for (const listener of [...rejectListeners]) callSafely(() => listener(reason));
    response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(reason);
  };

  const server = createServer((request, response) => {
    allowCrossOrigin(request, response);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');

    if (request.method === 'OPTIONS') {
      response.writeHead(204).end();
    } else if (request.method === 'POST' && url.pathname === TP2_PATH) {
      readBody(request, maxBodyBytes).then(
        (body) => {
          try {
            accept(decodePostBody(body));
            response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          } catch (error) {
            reject(response, 400, reasonOf(error));
          }
        },
        (error: unknown) => reject(response, 413, reasonOf(error)),
      );
    } else if (request.method === 'GET' && url.pathname === '/i') {
      try {
        accept([decodeQuery(url.searchParams)]);
        response.writeHead(200, { 'content-type': 'image/gif' }).end(PIXEL);
      } catch (error) {
        reject(response, 400, reasonOf(error));
      }
    } else {
      reject(response, 404, `no route for ${request.method} ${url.pathname}`);
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    events: () => [...events],
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onRejected(listener) {
      rejectListeners.add(listener);
      return () => rejectListeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        eventListeners.clear();
        rejectListeners.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Answers as a real collector does: windows send with credentials from their own origin
 * (`null` for `file://` pages), so the origin is echoed rather than `*`.
 */
function allowCrossOrigin(request: IncomingMessage, response: ServerResponse): void {
  response.setHeader('access-control-allow-origin', request.headers.origin ?? '*');
  response.setHeader('access-control-allow-credentials', 'true');
  response.setHeader('access-control-allow-headers', 'Content-Type, SP-Anonymous');
  response.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
}

function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the answer closes the connection.
        request.pause();
        request.removeAllListeners('data');
        reject(new BadTrackerRequestError(`the body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** A listener that throws must not turn a good request into an error answer. */
function callSafely(call: () => void): void {
  try {
    call();
  } catch {
    // The demo's listeners only update windows; nothing to recover.
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof BadTrackerRequestError) return error.message;
  return `unexpected error: ${String(error)}`;
}
