import { Type, type Static } from '@sinclair/typebox';

/** Error codes of docs/PROTOCOL.md#errors. The one registry: HTTP status, default message, retryability. */
export const ErrorCodes = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  EDIT_WINDOW_CLOSED: 'EDIT_WINDOW_CLOSED',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface ErrorCodeInfo {
  readonly status: number;
  readonly message: string;
  /** True when the same request may succeed later without change (client may retry with backoff). */
  readonly retryable: boolean;
}

export const ERROR_INFO: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  UNAUTHENTICATED: { status: 401, message: 'Authentication required', retryable: false },
  FORBIDDEN: { status: 403, message: 'Not allowed', retryable: false },
  NOT_FOUND: { status: 404, message: 'Not found', retryable: false },
  VALIDATION_FAILED: { status: 400, message: 'Invalid payload', retryable: false },
  CONFLICT: { status: 409, message: 'Conflict', retryable: false },
  // Retryable after details.retryAfterMs.
  RATE_LIMITED: { status: 429, message: 'Too many requests', retryable: true },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload too large', retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type', retryable: false },
  EDIT_WINDOW_CLOSED: { status: 403, message: 'Edit window closed', retryable: false },
  UNAVAILABLE: { status: 503, message: 'Service temporarily unavailable', retryable: true },
  INTERNAL: { status: 500, message: 'Internal error', retryable: false },
};

export const ALL_ERROR_CODES = Object.keys(ERROR_INFO) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_INFO, value);
}

export function errorStatus(code: ErrorCode): number {
  return ERROR_INFO[code].status;
}

export const ErrorCodeSchema = Type.Union(ALL_ERROR_CODES.map((c) => Type.Literal(c)));

/** `{ code, message, details? }` — the `error` member of HTTP error bodies and failed acks. */
export const ErrorBody = Type.Object({
  code: ErrorCodeSchema,
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type ErrorBody = Static<typeof ErrorBody> & { code: ErrorCode };

/** HTTP error response: `{ error: { code, message, details? } }`. */
export const HttpErrorResponse = Type.Object({ error: ErrorBody });
export type HttpErrorResponse = { error: ErrorBody };

/** `details` of VALIDATION_FAILED: one entry per offending field (JSON pointer path). */
export interface ValidationFieldError {
  path: string;
  message: string;
}
export interface ValidationDetails {
  fields: ValidationFieldError[];
}
