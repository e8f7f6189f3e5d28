import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisUnavailableError } from './errors.js';

const reply = (message: string): Error =>
  new (ReplyError as new (message: string) => Error)(message);
const system = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });
const named = (name: string): Error => Object.assign(new Error('x'), { name });

describe('isRedisUnavailableError', () => {
  it.each([
    [reply('CLUSTERDOWN The cluster is down'), true],
    [reply('TRYAGAIN Multiple keys request during rehashing of slot'), true],
    [reply('LOADING Redis is loading the dataset in memory'), true],
    [reply('WRONGTYPE Operation against a key holding the wrong kind of value'), false],
    [reply('ERR unknown command'), false],
    [system('ECONNREFUSED'), true],
    [system('ECONNRESET'), true],
    [named('MaxRetriesPerRequestError'), true],
    [named('ClusterAllFailedError'), true],
    [new Error('Connection is closed.'), true],
    [new Error('Command timed out'), true],
    [new Error('something else'), false],
    ['not an error', false],
  ])('%s → %s', (err, expected) => {
    expect(isRedisUnavailableError(err)).toBe(expected);
  });
});
