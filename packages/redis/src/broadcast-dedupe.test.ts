import { describe, expect, it } from 'vitest';
import { createBroadcastDedupe } from './broadcast-dedupe.js';

const newMessage = (id: string) => ({
  type: 2,
  nsp: '/',
  data: ['message:new', { message: { id } }],
});
const to = (rooms: string[], except: string[] = []) => ({ rooms, except });

describe('createBroadcastDedupe', () => {
  it('flags the second copy of a message:new to the same rooms, in any room order', () => {
    const repeated = createBroadcastDedupe();
    expect(repeated(newMessage('a'), to(['r1', 'r2'], ['s1']))).toBe(false);
    expect(repeated(newMessage('a'), to(['r2', 'r1'], ['s1']))).toBe(true);
  });

  it('lets the same message through to other rooms or with other exceptions (direct fan-out)', () => {
    const repeated = createBroadcastDedupe();
    expect(repeated(newMessage('a'), to(['user:1']))).toBe(false);
    expect(repeated(newMessage('a'), to(['user:2']))).toBe(false);
    expect(repeated(newMessage('a'), to(['user:1'], ['s1']))).toBe(false);
  });

  it('never flags other events, whose repeats carry the same state', () => {
    const repeated = createBroadcastDedupe();
    const typing = { type: 2, nsp: '/', data: ['typing', { userId: 'u', state: 'start' }] };
    expect(repeated(typing, to(['r']))).toBe(false);
    expect(repeated(typing, to(['r']))).toBe(false);
  });

  it('forgets the oldest ids beyond its capacity', () => {
    const repeated = createBroadcastDedupe(2);
    for (const id of ['a', 'b', 'c']) repeated(newMessage(id), to(['r']));
    expect(repeated(newMessage('c'), to(['r']))).toBe(true);
    expect(repeated(newMessage('a'), to(['r']))).toBe(false);
  });
});
