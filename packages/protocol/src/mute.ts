import { Type, type Static } from '@sinclair/typebox';
import { IsoDateString } from './ids.js';

// Mute of docs/PROTOCOL.md#section-7.
const closed = { additionalProperties: false } as const;

/** `null` unmutes; a time in the past is the same as `null`. */
export const MuteBody = Type.Object(
  {
    mutedUntil: Type.Union([IsoDateString, Type.Literal('forever'), Type.Null()]),
  },
  closed,
);
export type MuteBody = Static<typeof MuteBody>;
