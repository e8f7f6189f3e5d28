import { Type } from '@sinclair/typebox';
import { ObjectIdString } from './ids.js';
import { LIMITS } from './limits.js';
import { tooLargeWhenExceeded } from './markers.js';

// Field schemas shared by HTTP bodies and socket payloads, so both enforce the same rules.

/**
 * Raw message text, capped at 4000 UTF-16 units; longer → PAYLOAD_TOO_LARGE. Trimming and
 * "1–4000 after trimming unless there are attachments" is `checkMessageText` (text.ts),
 * applied by the message service.
 */
export const MessageText = tooLargeWhenExceeded(Type.String({ maxLength: LIMITS.textMaxChars }));

export const ClientMsgId = Type.String({
  minLength: LIMITS.clientMsgIdMinChars,
  maxLength: LIMITS.clientMsgIdMaxChars,
});

export const AttachmentIds = Type.Array(ObjectIdString, {
  maxItems: LIMITS.attachmentsPerMessage,
  uniqueItems: true,
});

export const Emoji = Type.String({ minLength: 1, maxLength: LIMITS.emojiMaxChars });

export const SeqInput = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const HistoryLimit = Type.Integer({ minimum: 1, maximum: LIMITS.historyLimitMax });

/** 3–32 chars of [a-z0-9_.-]; upper case is accepted and folded (usernames are case-insensitive). */
export const Username = Type.String({
  minLength: LIMITS.usernameMinChars,
  maxLength: LIMITS.usernameMaxChars,
  pattern: '^[A-Za-z0-9_.-]+$',
});

export const Password = Type.String({
  minLength: LIMITS.passwordMinChars,
  maxLength: LIMITS.passwordMaxChars,
});

export const DisplayName = Type.String({ minLength: 1, maxLength: LIMITS.displayNameMaxChars });

export const ConversationTitle = Type.String({
  minLength: 1,
  maxLength: LIMITS.conversationTitleMaxChars,
});

/** Absolute http(s) URL or a same-origin path (e.g. an uploaded file). */
export const UrlString = Type.String({
  minLength: 1,
  maxLength: LIMITS.urlMaxChars,
  pattern: '^(https?://|/)',
});

export const Token = Type.String({ minLength: 1, maxLength: LIMITS.tokenMaxChars });
