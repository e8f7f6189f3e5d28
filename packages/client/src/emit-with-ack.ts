import type { Socket } from 'socket.io-client';
import { ChatError } from './errors.js';
import type { AckData, RequestEvent, RequestPayload } from './protocol-types.js';

// emit() with a generic event name defeats socket.io's overloads; the public
// `request` signature keeps callers typed.
type LooseEmit = (event: string, payload: unknown, ack: (response: unknown) => void) => void;

/**
 * Emits `event` with an ack and turns the answer into data or a `ChatError`.
 * `inFlight` holds a fail function per pending request so the caller can fail them
 * all when the socket drops (socket.io never calls the ack of a lost packet).
 */
export function emitWithAck<E extends RequestEvent>(
  socket: Socket,
  event: E,
  payload: RequestPayload<E>,
  timeoutMs: number,
  inFlight: Set<(error: ChatError) => void>,
): Promise<AckData<E>> {
  return new Promise<AckData<E>>((resolve, reject) => {
    const fail = (error: ChatError) => {
      clearTimeout(timer);
      inFlight.delete(fail);
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new ChatError({ code: 'TIMEOUT', message: `${event}: no ack within ${timeoutMs} ms` }),
        ),
      timeoutMs,
    );
    inFlight.add(fail);
    (socket.emit as unknown as LooseEmit).call(socket, event, payload, (response: unknown) => {
      if (!inFlight.has(fail)) return; // already timed out or dropped
      clearTimeout(timer);
      inFlight.delete(fail);
      const r = response as { ok?: unknown; error?: unknown } | null;
      if (r !== null && typeof r === 'object' && r.ok === true) {
        const { ok: _ok, ...data } = r;
        resolve(data as AckData<E>);
      } else if (r !== null && typeof r === 'object' && r.ok === false) {
        reject(ChatError.fromBody(r.error));
      } else {
        reject(
          new ChatError({
            code: 'BAD_RESPONSE',
            message: `${event}: malformed ack`,
            details: { response },
          }),
        );
      }
    });
  });
}
