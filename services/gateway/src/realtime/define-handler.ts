import { AppError, toErrorBody, type Logger } from '@chat/core';
import { createValidator, type ClientEventName } from '@chat/protocol';
import type { Static, TSchema } from '@sinclair/typebox';
import { toAppError } from '../errors/to-app-error.js';
import type { ChatSocket } from './types.js';

export interface HandlerContext {
  socket: ChatSocket;
  userId: string;
  logger: Logger;
}

export type EventHandler<S extends TSchema, R extends object> = (
  payload: Static<S>,
  ctx: HandlerContext,
) => Promise<R>;

/**
 * Sees every handler run: `started` is called when the event arrives and returns the
 * function called once with the result (`ok` or the error code) after the ack went out.
 * Metrics and the drain's in-flight tracking hang off it.
 */
export type HandlerObserver = (event: ClientEventName) => (result: string) => void;

/**
 * The one ack wrapper (STYLE.md): validates the payload with the protocol's compiled
 * schema before any Redis/Mongo work, runs the handler, and answers `{ ok, ... }`.
 * Throws become `{ ok: false, error }`; without an ack callback the failure is emitted
 * as `error` to that socket (docs/PROTOCOL.md#section-1: nothing fails silently). A bad payload never
 * breaks the socket.
 */
export function defineHandler<S extends TSchema, R extends object>(
  event: ClientEventName,
  schema: S,
  handler: EventHandler<S, R>,
) {
  const validate = createValidator(schema);
  return (socket: ChatSocket, logger: Logger, observe?: HandlerObserver): void => {
    // socket.io's typed `on` cannot express "any arity, any types" for hostile clients.
    (socket.on as (e: string, l: (...args: unknown[]) => void) => void)(
      event,
      (...args: unknown[]) => {
        const ackIndex = args.findIndex((a) => typeof a === 'function');
        const ack = ackIndex >= 0 ? (args[ackIndex] as (response: unknown) => void) : undefined;
        const payload = ackIndex === 0 ? undefined : args[0];
        const ctx: HandlerContext = { socket, userId: socket.data.userId, logger };
        void run(payload, ctx, ack);
      },
    );

    async function run(payload: unknown, ctx: HandlerContext, ack?: (response: unknown) => void) {
      const finished = observe?.(event);
      let outcome = 'ok';
      try {
        const result = validate(payload);
        if (!result.ok) throw AppError.fromValidation(result);
        const data = await handler(result.value, ctx);
        ack?.({ ok: true, ...data });
      } catch (err) {
        // Driver errors (Mongo unreachable, Redis closed/timed out) are UNAVAILABLE, not INTERNAL.
        const body = toErrorBody(toAppError(err) ?? err);
        outcome = body.code;
        if (body.code === 'INTERNAL') logger.error({ err, event }, 'socket handler failed');
        // Outages are logged once per state change by the dependency monitor, not per request.
        else if (body.code === 'UNAVAILABLE')
          logger.debug({ err, event }, 'dependency unavailable');
        if (ack) ack({ ok: false, error: body });
        else socket.emit('error', { event, code: body.code, message: body.message });
      } finally {
        finished?.(outcome);
      }
    }
  };
}

export type RegisteredHandler = ReturnType<typeof defineHandler>;
