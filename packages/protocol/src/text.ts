import type { ErrorCode } from './errors.js';
import { LIMITS } from './limits.js';

export type MessageTextCheck =
  { ok: true; text: string | undefined } | { ok: false; code: ErrorCode; message: string };

/**
 * docs/PROTOCOL.md#section-3 text rule: 1–4000 chars after trimming, or absent when there are
 * attachments. Returns the trimmed text (undefined when empty and allowed).
 */
export function checkMessageText(
  text: string | undefined,
  hasAttachments: boolean,
  maxChars: number = LIMITS.textMaxChars,
): MessageTextCheck {
  const trimmed = text?.trim() ?? '';
  if (trimmed.length > maxChars) {
    return {
      ok: false,
      code: 'PAYLOAD_TOO_LARGE',
      message: `text is longer than ${maxChars} characters`,
    };
  }
  if (trimmed.length === 0) {
    return hasAttachments
      ? { ok: true, text: undefined }
      : { ok: false, code: 'VALIDATION_FAILED', message: 'text or attachments required' };
  }
  return { ok: true, text: trimmed };
}

/** Usernames are unique case-insensitively; store and look up the folded form. */
export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}
