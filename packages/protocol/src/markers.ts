import type { TSchema } from '@sinclair/typebox';

/**
 * Schema annotations read by `createValidator`. Symbols, not `x-` keywords, so
 * fastify's ajv (strict mode rejects unknown keywords) never sees them.
 */
export const IGNORED_KEYS: unique symbol = Symbol.for('@chat/protocol.ignoredKeys');
export const TOO_LARGE: unique symbol = Symbol.for('@chat/protocol.tooLarge');

/**
 * Keys a client may send that are dropped before validation instead of rejected.
 * Used for `senderId`/`userId` on message payloads: docs/PROTOCOL.md#section-1 says they are ignored
 * (the sender is always the authenticated user), while every other unknown field is
 * rejected (docs/DESIGN.md#decision-1).
 */
export function withIgnoredKeys<S extends TSchema>(schema: S, keys: readonly string[]): S {
  return Object.assign(schema, { [IGNORED_KEYS]: keys });
}

/** Exceeding this schema's maxLength/maxItems/maxByteLength is PAYLOAD_TOO_LARGE, not VALIDATION_FAILED. */
export function tooLargeWhenExceeded<S extends TSchema>(schema: S): S {
  return Object.assign(schema, { [TOO_LARGE]: true });
}

export function ignoredKeysOf(schema: TSchema): readonly string[] | undefined {
  return (schema as { [IGNORED_KEYS]?: readonly string[] })[IGNORED_KEYS];
}

export function isTooLargeSchema(schema: TSchema): boolean {
  return (schema as { [TOO_LARGE]?: boolean })[TOO_LARGE] === true;
}
