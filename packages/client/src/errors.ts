import type { ErrorBody } from './protocol-types.js';

/**
 * Codes the SDK produces itself, in addition to the server's codes (docs/PROTOCOL.md#section-1):
 * - `TIMEOUT`: no acknowledgement / HTTP answer within the configured time.
 * - `DISCONNECTED`: the socket dropped while a request was in flight.
 * - `CLOSED`: the client was closed by the application.
 * - `NETWORK`: fetch failed before any HTTP answer (DNS, refused, CORS…).
 * - `BAD_RESPONSE`: the server answered something that is not the documented shape.
 */
export type ClientErrorCode = 'TIMEOUT' | 'DISCONNECTED' | 'CLOSED' | 'NETWORK' | 'BAD_RESPONSE';

export type ChatErrorCode = ErrorBody['code'] | ClientErrorCode;

// Server codes a client may retry unchanged (docs/PROTOCOL.md#section-1 table: RATE_LIMITED after
// details.retryAfterMs, UNAVAILABLE "safe to retry"); plus the transport-level ones.
const RETRYABLE: ReadonlySet<string> = new Set([
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'DISCONNECTED',
  'NETWORK',
]);

export interface ChatErrorInit {
  code: ChatErrorCode;
  message: string;
  /** HTTP status; 0 for socket and client-side errors. */
  status?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Every failure the SDK reports, from HTTP `{ error }` bodies, failed acks, or the transport. */
export class ChatError extends Error {
  override readonly name = 'ChatError';
  readonly code: ChatErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(init: ChatErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.status = init.status ?? 0;
    this.details = init.details;
  }

  /** True when the same request may succeed later without change. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  /** `details.retryAfterMs` of RATE_LIMITED answers, when the server gave one. */
  get retryAfterMs(): number | undefined {
    const value = this.details?.['retryAfterMs'];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
  }

  static fromBody(body: unknown, status = 0): ChatError {
    if (isErrorBody(body)) {
      return new ChatError({
        code: body.code,
        message: body.message,
        status,
        details: body.details,
      });
    }
    return new ChatError({
      code: 'BAD_RESPONSE',
      message: 'Malformed error response',
      status,
      details: { body },
    });
  }
}

export function isChatError(value: unknown): value is ChatError {
  return value instanceof ChatError;
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const details = v['details'];
  return (
    typeof v['code'] === 'string' &&
    typeof v['message'] === 'string' &&
    (details === undefined || (typeof details === 'object' && details !== null))
  );
}
