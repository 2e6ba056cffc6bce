import { randomUUID } from 'node:crypto';

export const eventId = (): string => randomUUID();
