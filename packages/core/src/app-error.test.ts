import { describe, expect, it } from 'vitest';
import { createValidator, MessageSendPayload } from '@chat/protocol';
import { AppError, isAppError, statusOf, toErrorBody } from './app-error.js';

describe('AppError', () => {
  it('takes status and retryability from the protocol registry', () => {
    const cases: Array<[AppError, string, number, boolean]> = [
      [AppError.unauthenticated(), 'UNAUTHENTICATED', 401, false],
      [AppError.forbidden('no'), 'FORBIDDEN', 403, false],
      [AppError.notFound(), 'NOT_FOUND', 404, false],
      [AppError.validation({ fields: [] }), 'VALIDATION_FAILED', 400, false],
      [AppError.conflict('taken'), 'CONFLICT', 409, false],
      [AppError.rateLimited(1200.2), 'RATE_LIMITED', 429, true],
      [AppError.payloadTooLarge(), 'PAYLOAD_TOO_LARGE', 413, false],
      [AppError.unsupportedMediaType(), 'UNSUPPORTED_MEDIA_TYPE', 415, false],
      [AppError.editWindowClosed(), 'EDIT_WINDOW_CLOSED', 403, false],
      [AppError.unavailable(new Error('ECONNREFUSED')), 'UNAVAILABLE', 503, true],
      [AppError.internal(), 'INTERNAL', 500, false],
    ];
    for (const [err, code, status, retryable] of cases) {
      expect(err).toBeInstanceOf(Error);
      expect({ code: err.code, status: err.status, retryable: err.retryable }).toEqual({
        code,
        status,
        retryable,
      });
    }
  });

  it('carries retryAfterMs and cause', () => {
    expect(AppError.rateLimited(1200.2).details).toEqual({ retryAfterMs: 1201 });
    const cause = new Error('socket hang up');
    expect(AppError.unavailable(cause).cause).toBe(cause);
  });

  it('maps validator failures to VALIDATION_FAILED or PAYLOAD_TOO_LARGE', () => {
    const validate = createValidator(MessageSendPayload);
    const bad = validate({ conversationId: 'x', clientMsgId: 'a' });
    const big = validate({
      conversationId: '65a1b2c3d4e5f60718293a4b',
      clientMsgId: 'a',
      text: 'x'.repeat(4001),
    });
    if (bad.ok || big.ok) throw new Error('expected failures');
    expect(AppError.fromValidation(bad).code).toBe('VALIDATION_FAILED');
    expect(AppError.fromValidation(bad).details).toEqual(bad.details);
    expect(AppError.fromValidation(big).code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('toErrorBody', () => {
  it('serializes app errors with details', () => {
    expect(toErrorBody(AppError.rateLimited(500))).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many requests',
      details: { retryAfterMs: 500 },
    });
    expect(toErrorBody(AppError.notFound('no such conversation'))).toEqual({
      code: 'NOT_FOUND',
      message: 'no such conversation',
    });
  });

  it('never leaks unknown errors or dependency details', () => {
    const leaky = new Error('connect ECONNREFUSED 10.0.0.5:27017 db=secret');
    expect(toErrorBody(leaky)).toEqual({ code: 'INTERNAL', message: 'Internal error' });
    expect(toErrorBody('string thrown')).toEqual({ code: 'INTERNAL', message: 'Internal error' });
    expect(toErrorBody(AppError.unavailable(leaky))).toEqual({
      code: 'UNAVAILABLE',
      message: 'Service temporarily unavailable',
    });
    expect(statusOf(leaky)).toBe(500);
    expect(statusOf(AppError.forbidden())).toBe(403);
    expect(isAppError(leaky)).toBe(false);
  });
});
