import { AppError, isAppError } from '@chat/core';
import { isRedisUnavailableError } from '@chat/redis';
import { isMongoUnavailableError } from '@chat/store';

/**
 * The protocol error a failure stands for, decided by class and code, never by message text:
 * an AppError as it is, an unreachable Mongo or Redis (driver errors by class) as UNAVAILABLE.
 * Undefined for anything else: the caller's edge maps its framework's errors, or answers
 * INTERNAL. Both edges use it, HTTP (http/error-handler.ts) and Socket.IO (define-handler.ts).
 */
export function toAppError(err: unknown): AppError | undefined {
  if (isAppError(err)) return err;
  if (isMongoUnavailableError(err) || isRedisUnavailableError(err))
    return AppError.unavailable(err);
  return undefined;
}
