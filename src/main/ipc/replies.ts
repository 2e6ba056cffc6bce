// What the handlers send back: plain copies of session data, and failures as coded data.
import type { ClientSessionEntity, SessionSnapshot } from '../../shared/entity';
import { ClientSessionError, PREFIX } from '../../shared/errors';
import { fail } from '../../shared/ipc';
import type { IpcErrorCode, IpcResult } from '../../shared/ipc';
import type { Logger } from '../../shared/logger';

const IPC_CODES: ReadonlySet<string> = new Set<IpcErrorCode>([
  'INVALID_ARGUMENT',
  'FORBIDDEN',
  'SENDER_REFUSED',
  'CLOSED',
  'NOT_INSTALLED',
]);

/**
 * A thrown error as the renderer may see it: our own coded errors keep their code and message;
 * anything else is logged here and answered as `INTERNAL`, without its details.
 */
export function failure(channel: string, error: unknown, logger: Logger): IpcResult<never> {
  if (error instanceof ClientSessionError && IPC_CODES.has(error.code)) {
    return fail(error.code as IpcErrorCode, withoutPrefix(error.message));
  }
  logger.error(`${channel} failed in the main process`, error);
  return fail('INTERNAL', `${channel} failed in the main process; its log has the details`);
}

/** The app's logger, with its failures swallowed: logging must not break a reply. */
export function neverThrowing(logger: Logger): Logger {
  const guard =
    (write: (message: string, ...details: unknown[]) => void) =>
    (message: string, ...details: unknown[]) => {
      try {
        write.call(logger, message, ...details);
      } catch {
        // Nothing sensible is left to report to.
      }
    };
  return {
    error: guard(logger.error),
    warn: guard(logger.warn),
    info: guard(logger.info),
    debug: guard(logger.debug),
  };
}

function withoutPrefix(message: string): string {
  return message.startsWith(`${PREFIX}: `) ? message.slice(PREFIX.length + 2) : message;
}

/** A fresh copy holding only the contract's keys, so nothing but plain data crosses. */
export function plainSnapshot(snapshot: SessionSnapshot): SessionSnapshot {
  return {
    entity: snapshot.entity === null ? null : plainEntity(snapshot.entity),
    isBackground: snapshot.isBackground,
    lastActivity: snapshot.lastActivity,
    expiresAt: snapshot.expiresAt,
    newSessionDue: snapshot.newSessionDue,
    timeoutSeconds: snapshot.timeoutSeconds,
  };
}

export function plainEntity(entity: ClientSessionEntity): ClientSessionEntity {
  return {
    userId: entity.userId,
    sessionId: entity.sessionId,
    sessionIndex: entity.sessionIndex,
    eventIndex: entity.eventIndex,
    previousSessionId: entity.previousSessionId,
    storageMechanism: entity.storageMechanism,
    firstEventId: entity.firstEventId,
    firstEventTimestamp: entity.firstEventTimestamp,
  };
}
