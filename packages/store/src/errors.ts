import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
} from 'mongodb';

/**
 * A unique index rejected a write (E11000). Callers map it to `CONFLICT` or use it
 * to detect a lost race (get-or-create, idempotent sends) without string-matching.
 */
export class DuplicateKeyError extends Error {
  readonly code = 'DUPLICATE_KEY';
  /** e.g. `{ usernameLower: 1 }`; absent when the server did not report it. */
  readonly keyPattern: Record<string, unknown> | undefined;
  readonly keyValue: Record<string, unknown> | undefined;

  constructor(
    message: string,
    details: {
      keyPattern?: Record<string, unknown>;
      keyValue?: Record<string, unknown>;
      cause?: unknown;
    },
  ) {
    super(message, { cause: details.cause });
    this.name = 'DuplicateKeyError';
    this.keyPattern = details.keyPattern;
    this.keyValue = details.keyValue;
  }

  /** True when the violated index covers `field` (checks keyPattern, then the message). */
  involves(field: string): boolean {
    if (this.keyPattern) return Object.hasOwn(this.keyPattern, field);
    return false;
  }
}

const DUPLICATE_KEY_CODES = new Set([11000, 11001]);

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object'
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Recognises E11000 from single writes, findAndModify and bulk writes. */
export function isDuplicateKeyError(err: unknown): boolean {
  if (!(err instanceof MongoError)) return false;
  if (typeof err.code === 'number' && DUPLICATE_KEY_CODES.has(err.code)) return true;
  // Bulk writes may report the E11000 only inside writeErrors.
  const writeErrors = asRecord(err)?.['writeErrors'];
  return (
    Array.isArray(writeErrors) &&
    writeErrors.length > 0 &&
    writeErrors.every((w) => DUPLICATE_KEY_CODES.has(Number(asRecord(w)?.['code'])))
  );
}

/** Converts an E11000 into DuplicateKeyError; any other error is returned unchanged. */
export function toStoreError(err: unknown): unknown {
  if (!isDuplicateKeyError(err)) return err;
  const rec = asRecord(err) ?? {};
  const firstWriteError = Array.isArray(rec['writeErrors'])
    ? asRecord(rec['writeErrors'][0])
    : undefined;
  const source = asRecord(rec['errorResponse']) ?? rec;
  const keyPattern =
    asRecord(source['keyPattern']) ?? asRecord(asRecord(firstWriteError?.['err'])?.['keyPattern']);
  const keyValue =
    asRecord(source['keyValue']) ?? asRecord(asRecord(firstWriteError?.['err'])?.['keyValue']);
  return new DuplicateKeyError(err instanceof Error ? err.message : 'duplicate key', {
    ...(keyPattern ? { keyPattern } : {}),
    ...(keyValue ? { keyValue } : {}),
    cause: err,
  });
}

/** Runs `op`, rethrowing E11000 as DuplicateKeyError. */
export async function mapDuplicate<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toStoreError(err);
  }
}

/**
 * True for errors that mean "MongoDB is not reachable right now" (the gateway maps these
 * to `UNAVAILABLE`, retryable), as opposed to bugs or rejected writes.
 */
/**
 * A bulk command that failed as a whole (network, timeout) comes back from the driver as a
 * MongoBulkWriteError with no write errors; the error that really happened is its
 * `errorResponse`. Anything else is returned unchanged.
 */
export function unwrapBulkError(err: unknown): unknown {
  const writeErrors = err instanceof MongoBulkWriteError ? [err.writeErrors].flat() : undefined;
  if (err instanceof MongoBulkWriteError && writeErrors?.length === 0) {
    const original: unknown = err.errorResponse;
    if (original instanceof Error) return original;
  }
  return err;
}

/** One operation of a bulk command was refused (other than a duplicate key): its own error. */
export class WriteFailedError extends Error {
  constructor(
    message: string,
    /** The server's error code for this operation. */
    readonly code: number,
    /** The operation's index in the bulk command. */
    readonly index: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WriteFailedError';
  }
}

export function isMongoUnavailableError(input: unknown): boolean {
  const err = unwrapBulkError(input);
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    // A per-operation timeoutMS ran out (callers may pass one): a stalled server.
    err instanceof MongoOperationTimeoutError
  );
}
