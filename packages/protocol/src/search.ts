import { Type, type Static } from '@sinclair/typebox';
import { ObjectIdString } from './ids.js';
import { LIMITS } from './limits.js';
import { Message } from './models.js';
import { SearchMessagesQuery } from './http.js';

// Search across the caller's conversations (docs/PROTOCOL.md#section-7).
const closed = { additionalProperties: false } as const;

/** The per-conversation search's `q` and `limit`, plus a page cursor. */
export const SearchQuery = Type.Object(
  {
    ...SearchMessagesQuery.properties,
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.cursorMaxChars })),
  },
  closed,
);
export type SearchQuery = Static<typeof SearchQuery>;

export const SearchResult = Type.Object({ message: Message, conversationId: ObjectIdString });
export type SearchResult = Static<typeof SearchResult>;

export const SearchResponse = Type.Object({
  results: Type.Array(SearchResult),
  nextCursor: Type.Optional(Type.String()),
});
export type SearchResponse = Static<typeof SearchResponse>;
