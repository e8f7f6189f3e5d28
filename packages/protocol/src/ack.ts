import type { ErrorBody } from './errors.js';

/** Ack of every client → server event: `{ ok: true, ...data }` or `{ ok: false, error }` (docs/PROTOCOL.md#section-1). */
export type AckResponse<T extends object = Record<never, never>> =
  ({ ok: true } & T) | { ok: false; error: ErrorBody };

export type AckCallback<T extends object = Record<never, never>> = (
  response: AckResponse<T>,
) => void;

export type AckSuccess<T extends object> = { ok: true } & T;
export type AckFailure = { ok: false; error: ErrorBody };

export function ackOk<T extends object>(data: T): AckSuccess<T> {
  return { ok: true, ...data };
}

export function ackError(error: ErrorBody): AckFailure {
  return { ok: false, error };
}
