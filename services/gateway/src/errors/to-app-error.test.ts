import { AppError } from '@chat/core';
import { MongoNetworkError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { toAppError } from './to-app-error.js';

describe('toAppError', () => {
  it('keeps an AppError as it is', () => {
    const err = AppError.forbidden('no');
    expect(toAppError(err)).toBe(err);
  });

  it('turns a driver outage into UNAVAILABLE, by class', () => {
    expect(toAppError(new MongoNetworkError('socket closed'))?.code).toBe('UNAVAILABLE');
  });

  it('does not read outages into message text', () => {
    expect(toAppError(new Error('connect ECONNREFUSED 127.0.0.1:27017'))).toBeUndefined();
    expect(toAppError(new Error('MongoNetworkError: socket closed'))).toBeUndefined();
  });
});
