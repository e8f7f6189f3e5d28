import { describe, expect, it } from 'vitest';
import { checkMessageText, normalizeUsername } from './text.js';
import { ERROR_INFO, errorStatus, isErrorCode } from './errors.js';

describe('checkMessageText', () => {
  it.each([
    ['  hi  ', false, { ok: true, text: 'hi' }],
    ['   ', true, { ok: true, text: undefined }],
    [undefined, true, { ok: true, text: undefined }],
  ] as const)('accepts %j (attachments: %s)', (text, hasAttachments, expected) => {
    expect(checkMessageText(text, hasAttachments)).toEqual(expected);
  });

  it('rejects whitespace-only or absent text without attachments', () => {
    expect(checkMessageText(' \n\t ', false)).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
    });
    expect(checkMessageText(undefined, false)).toMatchObject({
      ok: false,
      code: 'VALIDATION_FAILED',
    });
  });

  it('rejects text over the limit after trimming with PAYLOAD_TOO_LARGE', () => {
    expect(checkMessageText('x'.repeat(4001), false)).toMatchObject({
      ok: false,
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(checkMessageText(` ${'x'.repeat(4000)} `, false)).toMatchObject({ ok: true });
  });

  it('folds usernames', () => {
    expect(normalizeUsername(' Alice.B ')).toBe('alice.b');
  });
});

describe('error registry', () => {
  it('maps codes to PROTOCOL.md statuses', () => {
    expect(errorStatus('UNAUTHENTICATED')).toBe(401);
    expect(errorStatus('EDIT_WINDOW_CLOSED')).toBe(403);
    expect(errorStatus('RATE_LIMITED')).toBe(429);
    expect(errorStatus('UNAVAILABLE')).toBe(503);
    expect(ERROR_INFO.UNAVAILABLE.retryable).toBe(true);
    expect(isErrorCode('NOPE')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});
