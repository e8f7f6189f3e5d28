import type { TypingEvent } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { createGroup, ack, collect, useTestCluster, type TestUser } from './fixtures/cluster.js';

const EXPIRE_MS = 1500;
// A long throttle window: every repeated start in these tests falls inside it.
const cluster = useTestCluster({
  nodes: 2,
  env: { TYPING_THROTTLE_MS: '30000', TYPING_EXPIRE_MS: String(EXPIRE_MS) },
});
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;

async function users(n: number): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => cluster.register(name('t'))));
}

const group = (owner: TestUser, members: TestUser[]) =>
  createGroup(cluster, owner, members, 0, 'typing');

async function typing(
  socket: Parameters<typeof ack>[0],
  state: 'start' | 'stop',
  conversationId: string,
) {
  const res = await ack(socket, `typing:${state}`, { conversationId });
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
}

describe('typing', () => {
  it('relays a start once per throttle window from any device to the other members only, then the stop', async () => {
    const [alice, bob, carol, outsider] = await users(4);
    if (!alice || !bob || !carol || !outsider) throw new Error('register');
    const conv = await group(alice, [bob, carol]);
    const aliceA = await cluster.connect(alice, 0);
    const aliceB = await cluster.connect(alice, 1);
    const bobSocket = await cluster.connect(bob, 1);
    const carolSocket = await cluster.connect(carol, 0);
    const outsiderSocket = await cluster.connect(outsider, 1);
    const [toBob, toCarol, toAliceA, toAliceB, toOutsider] = [
      bobSocket,
      carolSocket,
      aliceA,
      aliceB,
      outsiderSocket,
    ].map((s) => collect<TypingEvent>(s, 'typing')) as [
      TypingEvent[],
      TypingEvent[],
      TypingEvent[],
      TypingEvent[],
      TypingEvent[],
    ];

    // Five starts from two devices on two nodes: one relay cluster-wide.
    for (const socket of [aliceA, aliceB, aliceA, aliceB, aliceA])
      await typing(socket, 'start', conv.id);
    await typing(aliceB, 'stop', conv.id);
    await waitFor(() => toBob.length >= 2 && toCarol.length >= 2, {
      timeout: 5000,
      message: 'start and stop relayed',
    });

    const expected = [
      { conversationId: conv.id, userId: alice.id, state: 'start' },
      { conversationId: conv.id, userId: alice.id, state: 'stop' },
    ];
    expect(toBob).toEqual(expected);
    expect(toCarol).toEqual(expected);
    // A start right after a stop goes through at once (the stop cleared the throttle).
    await typing(aliceA, 'start', conv.id);
    await waitFor(() => toBob.length === 3, { timeout: 5000, message: 'second start' });
    await typing(aliceA, 'stop', conv.id);
    await waitFor(() => toBob.length === 4, { timeout: 5000, message: 'second stop' });
    expect(toAliceA).toEqual([]);
    expect(toAliceB).toEqual([]);
    expect(toOutsider).toEqual([]);
  });

  it('turns a start without a stop into a stop after the expiry', async () => {
    const [alice, bob] = await users(2);
    if (!alice || !bob) throw new Error('register');
    const conv = await group(alice, [bob]);
    const aliceSocket = await cluster.connect(alice, 0);
    const bobSocket = await cluster.connect(bob, 1);
    const started = waitForEvent<TypingEvent>(bobSocket, 'typing');
    await typing(aliceSocket, 'start', conv.id);
    const startedAt = Date.now();
    expect(await started).toMatchObject({ userId: alice.id, state: 'start' });
    const stopped = await waitForEvent<TypingEvent>(bobSocket, 'typing', {
      timeout: EXPIRE_MS + 5000,
    });
    expect(stopped).toEqual({ conversationId: conv.id, userId: alice.id, state: 'stop' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(EXPIRE_MS - 100);
  });

  it('keeps a user typing while starts keep coming, expiring only after the last one', async () => {
    const [alice, bob] = await users(2);
    if (!alice || !bob) throw new Error('register');
    const conv = await group(alice, [bob]);
    const aliceA = await cluster.connect(alice, 0);
    const aliceB = await cluster.connect(alice, 1);
    const bobSocket = await cluster.connect(bob, 0);
    const events = collect<TypingEvent>(bobSocket, 'typing');
    await typing(aliceA, 'start', conv.id);
    await waitFor(() => events.length === 1, { timeout: 5000, message: 'start' });
    // Part of the scenario, not a wait before an assertion: the refresh must come from the
    // other node two thirds into the expiry, so the first node's timer has to defer to it.
    await new Promise((resolve) => setTimeout(resolve, (EXPIRE_MS * 2) / 3));
    const lastStartAt = Date.now();
    await typing(aliceB, 'start', conv.id);
    await waitFor(() => events.length === 2, {
      timeout: EXPIRE_MS + 5000,
      message: 'automatic stop',
    });
    expect(Date.now() - lastStartAt).toBeGreaterThanOrEqual(EXPIRE_MS - 100);
    // A new start is the barrier: exactly one automatic stop came before it, from one node.
    await typing(aliceA, 'start', conv.id);
    await waitFor(() => events.some((e, i) => i > 1 && e.state === 'start'), {
      timeout: 5000,
      message: 'next start',
    });
    expect(events.map((e) => e.state)).toEqual(['start', 'stop', 'start']);
  });

  it('refuses typing in a conversation the user is not in with FORBIDDEN, and bad payloads', async () => {
    const [alice, bob, outsider] = await users(3);
    if (!alice || !bob || !outsider) throw new Error('register');
    const conv = await group(alice, [bob]);
    const bobSocket = await cluster.connect(bob, 0);
    const outsiderSocket = await cluster.connect(outsider, 1);
    const toBob = collect<TypingEvent>(bobSocket, 'typing');
    for (const state of ['start', 'stop']) {
      const res = await ack(outsiderSocket, `typing:${state}`, { conversationId: conv.id });
      expect(res.ok).toBe(false);
      expect(res.error?.code).toBe('FORBIDDEN');
    }
    const missing = await ack(outsiderSocket, 'typing:start', {
      conversationId: '0123456789abcdef01234567',
    });
    expect(missing.error?.code).toBe('FORBIDDEN');
    for (const bad of [
      {},
      { conversationId: 42 },
      { conversationId: 'nope' },
      { conversationId: conv.id, extra: 1 },
    ]) {
      const res = await ack(outsiderSocket, 'typing:start', bad);
      expect(res.error?.code, JSON.stringify(bad)).toBe('VALIDATION_FAILED');
    }
    // Without an ack the failure comes back as `error`.
    const error = waitForEvent<{ event: string; code: string }>(outsiderSocket, 'error');
    outsiderSocket.emit('typing:start', { conversationId: conv.id });
    expect(await error).toMatchObject({ event: 'typing:start', code: 'FORBIDDEN' });
    // bob's own start is the barrier: nothing from the outsider came before it.
    const aliceSocket = await cluster.connect(alice, 1);
    await typing(aliceSocket, 'start', conv.id);
    await waitFor(() => toBob.length === 1, { timeout: 5000, message: 'alice start' });
    expect(toBob).toEqual([{ conversationId: conv.id, userId: alice.id, state: 'start' }]);
  });
});
