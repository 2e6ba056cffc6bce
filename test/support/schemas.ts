// The project's own JSON Schemas for what it emits, written from SPEC section 2 and the Iglu
// facts it quotes, checked with ajv (draft-04, as Iglu schemas are).
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

export const clientSessionSchema = {
  type: 'object',
  properties: {
    userId: { type: 'string', pattern: UUID, maxLength: 36 },
    sessionId: { type: 'string', format: 'uuid', pattern: UUID },
    sessionIndex: { type: 'integer', minimum: 1, maximum: 2147483647 },
    eventIndex: { type: 'integer', minimum: 1, maximum: 2147483647 },
    previousSessionId: { type: ['string', 'null'], format: 'uuid' },
    storageMechanism: {
      type: 'string',
      enum: ['SQLITE', 'COOKIE_1', 'COOKIE_3', 'LOCAL_STORAGE', 'FLASH_LSO'],
    },
    firstEventId: { type: 'string', format: 'uuid' },
    firstEventTimestamp: {
      type: 'string',
      format: 'date-time',
      pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    },
  },
  required: [
    'userId',
    'sessionId',
    'sessionIndex',
    'eventIndex',
    'previousSessionId',
    'storageMechanism',
    'firstEventId',
    'firstEventTimestamp',
  ],
  additionalProperties: false,
} as const;

function indexEventSchema(key: string) {
  return {
    type: 'object',
    properties: { [key]: { type: 'integer', minimum: 0, maximum: 2147483647 } },
    additionalProperties: false,
  };
}

export const applicationForegroundSchema = indexEventSchema('foregroundIndex');
export const applicationBackgroundSchema = indexEventSchema('backgroundIndex');

const ajv = new AjvDraft04({ allErrors: true });
addFormats(ajv);

export const validateClientSession = ajv.compile(clientSessionSchema);
const validateLifecycle = {
  application_foreground: ajv.compile(applicationForegroundSchema),
  application_background: ajv.compile(applicationBackgroundSchema),
};

/** Throws with ajv's errors when `data` is not a valid client_session entity. */
export function assertValidClientSession(data: unknown): void {
  if (!validateClientSession(data)) {
    throw new Error(
      `invalid client_session ${JSON.stringify(data)}: ${ajv.errorsText(validateClientSession.errors)}`,
    );
  }
}

/** Throws with ajv's errors when `data` is not valid for the lifecycle event `name`. */
export function assertValidLifecycleEvent(name: string, data: unknown): void {
  const validate = validateLifecycle[name as keyof typeof validateLifecycle];
  if (validate === undefined) throw new Error(`${name} is not a lifecycle event`);
  if (!validate(data)) {
    throw new Error(`invalid ${name} ${JSON.stringify(data)}: ${ajv.errorsText(validate.errors)}`);
  }
}
