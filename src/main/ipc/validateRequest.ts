import { types } from 'node:util';

import { validate as isUuid } from 'uuid';

import { ClientSessionError } from '../../shared/errors';
import {
  MAX_EVENT_ID_LENGTH,
  MAX_EVENT_TIMESTAMP_MS,
  MIN_EVENT_TIMESTAMP_MS,
  isSubscriptionId,
} from '../../shared/ipc';
import type { StampRequest } from '../../shared/ipc';

const STAMP_KEYS = ['eventId', 'timestamp'];

/** Refuses any argument on channels that take none. */
export function assertNoArguments(channel: string, args: readonly unknown[]): void {
  if (args.length !== 0) {
    throw invalid(`${channel} takes no argument, got ${args.length}`);
  }
}

/** Checks the one argument of `subscribe` and `unsubscribe`: the bridge's subscription id. */
export function parseSubscriptionId(channel: string, args: readonly unknown[]): string {
  if (args.length !== 1) {
    throw invalid(
      `${channel} takes one argument, the bridge's subscription id, got ${args.length}`,
    );
  }
  const id = args[0];
  if (!isSubscriptionId(id)) {
    throw invalid(
      `${channel} takes a subscription id of 8 to 32 lower-case letters and digits, got ${describe(id)}`,
    );
  }
  return id;
}

/**
 * Checks what a renderer sent on the stamp channel and returns a fresh plain copy. Reads no
 * getter and trusts nothing: the value may be anything a renderer (or a bug) can produce.
 */
export function parseStampRequest(channel: string, args: readonly unknown[]): StampRequest {
  if (args.length !== 1) {
    throw invalid(`${channel} takes one argument { eventId, timestamp }, got ${args.length}`);
  }
  const request = args[0];
  if (types.isProxy(request)) throw invalid(`${channel} got a Proxy; send a plain object`);
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw invalid(`${channel} takes an object { eventId, timestamp }, got ${describe(request)}`);
  }
  const proto: unknown = Object.getPrototypeOf(request);
  if (proto !== Object.prototype && proto !== null) {
    throw invalid(`${channel} takes a plain object, got an instance of another class`);
  }

  const keys = Reflect.ownKeys(request);
  const unknown = keys.filter((key) => typeof key !== 'string' || !STAMP_KEYS.includes(key));
  if (unknown.length > 0) {
    const names = unknown.slice(0, 3).map((key) => describe(key));
    throw invalid(`${channel} got unknown key(s) ${names.join(', ')}; only eventId and timestamp`);
  }

  const eventId = dataProperty(channel, request, 'eventId');
  const timestamp = dataProperty(channel, request, 'timestamp');
  if (typeof eventId !== 'string') {
    throw invalid(`eventId must be a string (the event's UUID), got ${describe(eventId)}`);
  }
  if (eventId.length > MAX_EVENT_ID_LENGTH) {
    throw invalid(`eventId is ${eventId.length} characters long; a UUID has 36`);
  }
  if (!isUuid(eventId)) throw invalid(`eventId must be a UUID, got ${describe(eventId)}`);
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
    throw invalid(`timestamp must be a finite number of epoch ms, got ${describe(timestamp)}`);
  }
  if (timestamp < MIN_EVENT_TIMESTAMP_MS || timestamp > MAX_EVENT_TIMESTAMP_MS) {
    throw invalid(
      `timestamp must be epoch ms between ${MIN_EVENT_TIMESTAMP_MS} (year 2000) and ${MAX_EVENT_TIMESTAMP_MS} (year 2100), got ${timestamp}`,
    );
  }
  return { eventId, timestamp };
}

function dataProperty(channel: string, object: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(object, key);
  if (descriptor === undefined) throw invalid(`${channel} is missing ${key}`);
  if (!('value' in descriptor)) throw invalid(`${key} must be a plain value, not a getter`);
  return descriptor.value;
}

function invalid(message: string): ClientSessionError {
  return new ClientSessionError('INVALID_ARGUMENT', message);
}

/** A short, safe description of an untrusted value for an error message. */
function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'bigint':
      return 'a BigInt';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    case 'undefined':
      return 'undefined';
    default:
      if (value === null) return 'null';
      // Before Array.isArray, which throws on a revoked Proxy.
      if (types.isProxy(value)) return 'a Proxy';
      if (Array.isArray(value)) return 'an array';
      return 'an object';
  }
}
