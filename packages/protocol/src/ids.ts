import { Type, type Static } from '@sinclair/typebox';

/** MongoDB ObjectId as 24 lowercase hex chars; clients never send an ObjectId object (docs/PROTOCOL.md#section-1). */
export const OBJECT_ID_PATTERN = '^[0-9a-f]{24}$';
export const OBJECT_ID_REGEX = /^[0-9a-f]{24}$/;

export const ObjectIdString = Type.String({
  pattern: OBJECT_ID_PATTERN,
  minLength: 24,
  maxLength: 24,
  description: 'ObjectId hex string',
});
export type ObjectIdString = Static<typeof ObjectIdString>;

// No `format: 'date-time'`: TypeBox's TypeCompiler fails unknown formats unless they are
// registered, and a pattern works the same in TypeBox and in fastify's ajv.
export const ISO_DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$';

/** ISO-8601 UTC time string with `Z`, e.g. `2026-01-05T12:00:00.000Z` (docs/PROTOCOL.md#section-1). */
export const IsoDateString = Type.String({
  pattern: ISO_DATE_PATTERN,
  description: 'ISO-8601 UTC',
});
export type IsoDateString = Static<typeof IsoDateString>;

/** Per-conversation message sequence number (server-assigned, ≥ 0; 0 = no message yet). */
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export type Seq = Static<typeof Seq>;

export function isObjectIdString(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID_REGEX.test(value);
}
