import { Type, type Static } from '@sinclair/typebox';
import { IsoDateString, ObjectIdString } from './ids.js';

// "Read by" of docs/PROTOCOL.md#section-7.
const closed = { additionalProperties: false } as const;

export const MessageParams = Type.Object({ id: ObjectIdString, messageId: ObjectIdString }, closed);
export type MessageParams = Static<typeof MessageParams>;

export const ReceiptEntry = Type.Object({ userId: ObjectIdString, at: IsoDateString });
export type ReceiptEntry = Static<typeof ReceiptEntry>;

export const MessageReceiptsResponse = Type.Object({
  readBy: Type.Array(ReceiptEntry),
  deliveredTo: Type.Array(ReceiptEntry),
});
export type MessageReceiptsResponse = Static<typeof MessageReceiptsResponse>;
