import { Type, type Static } from '@sinclair/typebox';
import { ObjectIdString } from './ids.js';
import { LIMITS } from './limits.js';
import { Message } from './models.js';

// Search across the caller's conversations (PROTOCOL §7).
const closed = { additionalProperties: false } as const;

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: LIMITS.messageSearchQueryMaxChars }),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: LIMITS.messageSearchLimitMax,
        default: LIMITS.messageSearchLimitDefault,
      }),
    ),
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
