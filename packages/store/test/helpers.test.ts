import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { decodeActivityCursor, encodeActivityCursor } from '../src/cursor.js';
import { clampLimit, escapeRegex, prefixPattern } from '../src/regex.js';
import { usernameCandidate } from '../src/users.repository.js';
import { compact, parseObjectId, uniqueIds } from '../src/util.js';

describe('escapeRegex', () => {
  it('makes every metacharacter literal', () => {
    const nasty = 'a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o';
    const re = new RegExp(`^${escapeRegex(nasty)}$`);
    expect(re.test(nasty)).toBe(true);
    expect(re.test('aXb*c+d?e^f$g{h}i(j)k|l[m]n\\o')).toBe(false);
  });

  it('neutralises catastrophic-backtracking input', () => {
    const evil = '(a+)+$';
    const re = new RegExp(escapeRegex(evil));
    const started = performance.now();
    expect(re.test(`${'a'.repeat(5000)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
    expect(re.test('x(a+)+$y')).toBe(true);
  });

  it('leaves plain text untouched', () => {
    expect(escapeRegex('hello world_1-2/3')).toBe('hello world_1-2/3');
  });

  it('anchors prefixes', () => {
    expect(prefixPattern('a.b')).toBe('^a\\.b');
    expect(new RegExp(prefixPattern('a.b')).test('xa.b')).toBe(false);
  });
});

describe('clampLimit', () => {
  it.each([
    [undefined, 20],
    [Number.NaN, 20],
    [0, 1],
    [-5, 1],
    [7.9, 7],
    [1000, 100],
  ])('clampLimit(%s) = %s', (input, expected) => {
    expect(clampLimit(input, 20, 100)).toBe(expected);
  });
});

describe('activity cursor', () => {
  it('round-trips', () => {
    const cursor = { lastActivityAt: new Date('2026-01-05T12:00:00.123Z'), id: new ObjectId() };
    const raw = encodeActivityCursor(cursor);
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = decodeActivityCursor(raw);
    expect(back?.lastActivityAt.toISOString()).toBe('2026-01-05T12:00:00.123Z');
    expect(back?.id.equals(cursor.id)).toBe(true);
  });

  it.each([
    '',
    'not base64 !!',
    Buffer.from('{"t":"2026-01-01T00:00:00Z"}').toString('base64url'),
    Buffer.from('{"t":"nope","id":"0123456789abcdef01234567"}').toString('base64url'),
    Buffer.from('{"t":"2026-01-01T00:00:00Z","id":{"$gt":""}}').toString('base64url'),
    Buffer.from('null').toString('base64url'),
    'x'.repeat(500),
  ])('rejects %j', (raw) => {
    expect(decodeActivityCursor(raw)).toBeUndefined();
  });
});

describe('usernameCandidate', () => {
  it('keeps a valid preferred username, lower-cased', () => {
    expect(usernameCandidate('Alice.Smith', 'sub')).toBe('alice.smith');
  });
  it('strips characters outside [a-z0-9_.-] and truncates to 32', () => {
    expect(usernameCandidate('Jöhn Dœ!', 'sub')).toBe('jhnd');
    expect(usernameCandidate('a'.repeat(40), 'sub')).toHaveLength(32);
  });
  it('falls back to the subject when nothing usable remains', () => {
    expect(usernameCandidate('!!', 'auth0|ABC123')).toBe('user_auth0abc123'.slice(0, 32));
    expect(usernameCandidate(undefined, '***')).toBe('user_ext');
  });
});

describe('util', () => {
  it('compact drops undefined but keeps null/false/0', () => {
    expect(compact({ a: undefined, b: null, c: false, d: 0 })).toEqual({ b: null, c: false, d: 0 });
    expect('a' in compact({ a: undefined })).toBe(false);
  });
  it('parseObjectId accepts only 24 hex chars', () => {
    expect(parseObjectId('0123456789abcdef01234567')?.toHexString()).toBe(
      '0123456789abcdef01234567',
    );
    expect(parseObjectId('0123456789abcdef0123456')).toBeUndefined();
    expect(parseObjectId('zzzzzzzzzzzzzzzzzzzzzzzz')).toBeUndefined();
    expect(parseObjectId('123456789012')).toBeUndefined();
    // The protocol's form only: an id this system wrote is never uppercase.
    expect(parseObjectId('0123456789ABCDEF01234567')).toBeUndefined();
  });
  it('uniqueIds keeps first occurrences in order', () => {
    const a = new ObjectId();
    const b = new ObjectId();
    expect(uniqueIds([a, b, new ObjectId(a.toHexString()), b]).map(String)).toEqual([
      String(a),
      String(b),
    ]);
  });
});
