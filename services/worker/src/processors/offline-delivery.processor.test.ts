import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isPermanent, signBody } from './offline-delivery.processor.js';

describe('offline delivery policy', () => {
  it('treats 4xx as permanent except 408, 425 and 429; 5xx are retried', () => {
    const permanent = [400, 401, 403, 404, 410, 413, 422].filter(isPermanent);
    expect(permanent).toEqual([400, 401, 403, 404, 410, 413, 422]);
    expect([408, 425, 429, 500, 502, 503, 504].some(isPermanent)).toBe(false);
  });

  it('signs the exact body bytes as sha256=<hex hmac>', () => {
    const body = JSON.stringify({ preview: 'héllo 😀' });
    const expected = createHmac('sha256', 'k').update(Buffer.from(body, 'utf8')).digest('hex');
    expect(signBody('k', body)).toBe(`sha256=${expected}`);
    expect(signBody('k', `${body} `)).not.toBe(`sha256=${expected}`);
  });
});
