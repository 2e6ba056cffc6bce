import { CLIENT_SESSION_SCHEMA } from 'electron-client-session';
import type { ClientSessionEntity } from 'electron-client-session';

import type { CollectedEvent, ReceivedSelfDescribingJson } from '../shared/collectedEvent';

/** What decoding gives before the collector numbers the events. */
export type DecodedEvent = Omit<CollectedEvent, 'sequence' | 'receivedAt'>;

/** A tracker request the collector cannot read. */
export class BadTrackerRequestError extends Error {
  override name = 'BadTrackerRequestError';
}

const PAYLOAD_DATA_SCHEMA_PREFIX = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-';

/**
 * Reads the body of `POST /com.snowplowanalytics.snowplow/tp2`: a `payload_data` self-describing
 * JSON whose data is an array of events, each a map of string fields.
 */
export function decodePostBody(body: string): DecodedEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadTrackerRequestError('the body is not JSON');
  }
  if (!isRecord(parsed) || typeof parsed.schema !== 'string' || !Array.isArray(parsed.data)) {
    throw new BadTrackerRequestError('the body is not a payload_data self-describing JSON');
  }
  if (!parsed.schema.startsWith(PAYLOAD_DATA_SCHEMA_PREFIX)) {
    throw new BadTrackerRequestError(`unexpected schema ${parsed.schema}`);
  }
  return parsed.data.map((item) => {
    if (!isRecord(item)) throw new BadTrackerRequestError('an event is not an object');
    return decodeEvent(stringFields(item));
  });
}

/** Reads the query of `GET /i`, the one-event form trackers use with `eventMethod: 'get'`. */
export function decodeQuery(query: URLSearchParams): DecodedEvent {
  return decodeEvent(Object.fromEntries(query.entries()));
}

function decodeEvent(payload: Record<string, string>): DecodedEvent {
  const eventId = payload.eid;
  const eventType = payload.e;
  if (eventId === undefined || eventType === undefined) {
    throw new BadTrackerRequestError('an event has no eid or no e');
  }

  const entities = readEntities(payload);
  const sessions = entities.filter((entity) => entity.schema === CLIENT_SESSION_SCHEMA);
  const selfDescribing = readSelfDescribingEvent(payload);

  return {
    eventId,
    eventType,
    name: describe(eventType, payload, selfDescribing),
    trackerNamespace: payload.tna ?? null,
    appId: payload.aid ?? null,
    platform: payload.p ?? null,
    deviceTimestamp: payload.dtm === undefined ? null : Number(payload.dtm),
    entities,
    clientSession: (sessions[0]?.data as ClientSessionEntity | undefined) ?? null,
    clientSessionCount: sessions.length,
    payload,
  };
}

/** Entities come base64url-encoded in `cx`, or as plain JSON in `co` (`encodeBase64: false`). */
function readEntities(payload: Record<string, string>): ReceivedSelfDescribingJson[] {
  const json = payload.cx !== undefined ? fromBase64(payload.cx, 'cx') : payload.co;
  if (json === undefined) return [];
  const envelope = parseJson(json, 'the contexts are not JSON');
  if (!isRecord(envelope) || !Array.isArray(envelope.data)) {
    throw new BadTrackerRequestError('the contexts are not a self-describing array');
  }
  return envelope.data.map((entity) => {
    if (!isRecord(entity) || typeof entity.schema !== 'string') {
      throw new BadTrackerRequestError('an entity is not a self-describing JSON');
    }
    return { schema: entity.schema, data: entity.data };
  });
}

function readSelfDescribingEvent(
  payload: Record<string, string>,
): ReceivedSelfDescribingJson | null {
  const json = payload.ue_px !== undefined ? fromBase64(payload.ue_px, 'ue_px') : payload.ue_pr;
  if (json === undefined) return null;
  const envelope = parseJson(json, 'the self-describing event is not JSON');
  const inner = isRecord(envelope) ? envelope.data : undefined;
  if (!isRecord(inner) || typeof inner.schema !== 'string') {
    throw new BadTrackerRequestError('the self-describing event has no schema');
  }
  return { schema: inner.schema, data: inner.data };
}

function describe(
  eventType: string,
  payload: Record<string, string>,
  selfDescribing: ReceivedSelfDescribingJson | null,
): string {
  if (eventType === 'se') {
    return [payload.se_ca, payload.se_ac, payload.se_la].filter(Boolean).join(' / ');
  }
  if (selfDescribing !== null) {
    // iglu:vendor/name/jsonschema/1-0-0 -> name
    return selfDescribing.schema.split('/').at(-3) ?? selfDescribing.schema;
  }
  if (eventType === 'pv') return `page view ${payload.url ?? ''}`.trim();
  return eventType;
}

function fromBase64(value: string, field: string): string {
  // Node's decoder takes both alphabets, padded or not; check first so that junk is refused
  // rather than decoded into garbage.
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    throw new BadTrackerRequestError(`${field} is not base64`);
  }
  return Buffer.from(value, 'base64url').toString('utf8');
}

function parseJson(text: string, failure: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BadTrackerRequestError(failure);
  }
}

function stringFields(item: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value !== undefined && value !== null) fields[key] = String(value);
  }
  return fields;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
