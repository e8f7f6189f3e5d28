import { Type, type Static } from '@sinclair/typebox';
import { Emoji, MessageText, SeqInput } from './fields.js';
import { IsoDateString } from './ids.js';
import { withIgnoredKeys } from './markers.js';
import { Reaction } from './models.js';

const closed = { additionalProperties: false } as const;

// ---- HTTP forms of socket events, for bots (docs/PROTOCOL.md#section-7) ----
// The same fields as the socket payloads (events.ts), with the ids moved into the path.

/** `POST /api/conversations/:id/read` and `…/delivered`. */
export const CursorBody = Type.Object({ seq: SeqInput }, closed);
export type CursorBody = Static<typeof CursorBody>;

export const ReadResponse = Type.Object({ readSeq: Type.Integer({ minimum: 0 }) });
export type ReadResponse = Static<typeof ReadResponse>;

export const DeliveredResponse = Type.Object({ deliveredSeq: Type.Integer({ minimum: 0 }) });
export type DeliveredResponse = Static<typeof DeliveredResponse>;

/** `PATCH /api/messages/:id`. */
export const EditMessageBody = withIgnoredKeys(Type.Object({ text: MessageText }, closed), [
  'senderId',
  'userId',
]);
export type EditMessageBody = Static<typeof EditMessageBody>;

/** `DELETE /api/messages/:id?scope=`. Required: "everyone" must never be a default. */
export const DeleteMessageQuery = Type.Object(
  { scope: Type.Union([Type.Literal('me'), Type.Literal('everyone')]) },
  closed,
);
export type DeleteMessageQuery = Static<typeof DeleteMessageQuery>;

/** `POST /api/messages/:id/reactions`. */
export const ReactBody = withIgnoredKeys(
  Type.Object(
    { emoji: Emoji, op: Type.Union([Type.Literal('add'), Type.Literal('remove')]) },
    closed,
  ),
  ['senderId', 'userId'],
);
export type ReactBody = Static<typeof ReactBody>;

export const ReactionsResponse = Type.Object({ reactions: Type.Array(Reaction) });
export type ReactionsResponse = Static<typeof ReactionsResponse>;

/** One earlier version of an edited message: its text and when that text was written. */
export const MessageEdit = Type.Object({ text: Type.String(), editedAt: IsoDateString });
export type MessageEdit = Static<typeof MessageEdit>;

/** `GET /api/messages/:id/edits`: earlier versions, oldest first (the current text is the message's). */
export const MessageEditsResponse = Type.Object({ edits: Type.Array(MessageEdit) });
export type MessageEditsResponse = Static<typeof MessageEditsResponse>;
