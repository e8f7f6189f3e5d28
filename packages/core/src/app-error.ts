import {
  ERROR_INFO,
  type ErrorBody,
  type ErrorCode,
  type ValidationDetails,
  type ValidationResult,
} from '@chat/protocol';

export interface AppErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type of the project (STYLE.md): a protocol error code plus its HTTP status
 * and retryability from the protocol registry. The HTTP error handler, the socket ack wrapper
 * and the job processors translate it; anything else thrown is treated as INTERNAL.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, options: AppErrorOptions = {}) {
    const info = ERROR_INFO[code];
    super(
      message ?? info.message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'AppError';
    this.code = code;
    this.status = info.status;
    this.retryable = info.retryable;
    if (options.details !== undefined) this.details = options.details;
  }

  static unauthenticated(message?: string): AppError {
    return new AppError('UNAUTHENTICATED', message);
  }
  static forbidden(message?: string): AppError {
    return new AppError('FORBIDDEN', message);
  }
  static notFound(message?: string): AppError {
    return new AppError('NOT_FOUND', message);
  }
  static validation(
    details: ValidationDetails | Record<string, unknown>,
    message?: string,
  ): AppError {
    return new AppError('VALIDATION_FAILED', message, { details: { ...details } });
  }
  static conflict(message?: string, details?: Record<string, unknown>): AppError {
    return new AppError('CONFLICT', message, details === undefined ? {} : { details });
  }
  static rateLimited(retryAfterMs: number, message?: string): AppError {
    return new AppError('RATE_LIMITED', message, {
      details: { retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)) },
    });
  }
  static payloadTooLarge(message?: string, details?: Record<string, unknown>): AppError {
    return new AppError('PAYLOAD_TOO_LARGE', message, details === undefined ? {} : { details });
  }
  static unsupportedMediaType(message?: string): AppError {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', message);
  }
  static editWindowClosed(message?: string): AppError {
    return new AppError('EDIT_WINDOW_CLOSED', message);
  }
  /** A dependency (Mongo/Redis) is down; `cause` is kept for the logs, never sent to clients. */
  static unavailable(cause?: unknown, message?: string): AppError {
    return new AppError('UNAVAILABLE', message, { cause });
  }
  static internal(cause?: unknown, message?: string): AppError {
    return new AppError('INTERNAL', message, { cause });
  }

  /** Turns a failed `createValidator` result into VALIDATION_FAILED or PAYLOAD_TOO_LARGE. */
  static fromValidation(result: Extract<ValidationResult<unknown>, { ok: false }>): AppError {
    return result.code === 'PAYLOAD_TOO_LARGE'
      ? AppError.payloadTooLarge(undefined, { ...result.details })
      : AppError.validation(result.details);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/**
 * The client-facing body of any error. Unknown errors become INTERNAL with the generic
 * message: their text may hold hostnames, queries or stack details. Details of INTERNAL
 * and UNAVAILABLE are never sent either.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (!isAppError(err)) return { code: 'INTERNAL', message: ERROR_INFO.INTERNAL.message };
  const body: ErrorBody = { code: err.code, message: err.message };
  if (err.details !== undefined && err.code !== 'INTERNAL' && err.code !== 'UNAVAILABLE')
    body.details = err.details;
  return body;
}

/** HTTP status for any error (500 for unknown ones). */
export function statusOf(err: unknown): number {
  return isAppError(err) ? err.status : ERROR_INFO.INTERNAL.status;
}
