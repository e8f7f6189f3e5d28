import type { Conversation, Message, SyncAck } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import {
  ack,
  collect,
  createGroup,
  sendText,
  useTestCluster,
  type TestUser,
} from './fixtures/cluster.js';

/**
 * docs/PROTOCOL.md#section-7 "system messages": membership and group changes are messages of kind "system"
 * with a seq from the same counter as sends, delivered by message:new and served by sync.
 */
const cluster = useTestCluster({ nodes: 2 });

async function call(node: number, user: TestUser, method: string, path: string, body?: unknown) {
  const res = await cluster.http(node, method, path, {
    token: user.token,
    ...(body !== undefined ? { body } : {}),
  });
  return res.status;
}

describe('system messages', () => {
  it('every member sees each change in seq order with the chat, and sync returns them', async () => {
    const { ann, bob, cat } = await people(cluster, 'ann', 'bob', 'cat');
    const group = await createGroup(cluster, ann, [bob]);
    const annSocket = await cluster.connect(ann, 0);
    const bobSocket = await cluster.connect(bob, 1);
    const catSocket = await cluster.connect(cat, 0);
    const toBob = collect<{ message: Message }>(bobSocket, 'message:new');
    const toAnn = collect<{ message: Message }>(annSocket, 'message:new');
    const toCat = collect<{ message: Message }>(catSocket, 'message:new');
    const c = `/api/conversations/${group.id}`;

    await sendText(annSocket, group.id, 'hello');
    expect(await call(0, ann, 'POST', `${c}/members`, { userIds: [cat.id] })).toBe(200);
    expect(await call(1, ann, 'PATCH', c, { title: 'renamed team' })).toBe(200);
    expect(await call(0, ann, 'PATCH', `${c}/members/${bob.id}`, { role: 'admin' })).toBe(200);
    // The same role again is no change, so no line.
    expect(await call(0, ann, 'PATCH', `${c}/members/${bob.id}`, { role: 'admin' })).toBe(200);
    // Not allowed: no change, no line.
    expect(await call(0, cat, 'PATCH', c, { title: 'hijacked' })).toBe(403);
    const catRemoved = waitForEvent(catSocket, 'conversation:removed');
    expect(await call(1, bob, 'DELETE', `${c}/members/${cat.id}`)).toBe(204);
    await catRemoved;
    await sendText(bobSocket, group.id, 'bye cat');

    const expected = [
      { seq: 1, kind: 'text', senderId: ann.id },
      {
        seq: 2,
        kind: 'system',
        senderId: ann.id,
        system: { type: 'member_added', actorId: ann.id, userIds: [cat.id] },
      },
      {
        seq: 3,
        kind: 'system',
        system: { type: 'renamed', actorId: ann.id, title: 'renamed team' },
      },
      {
        seq: 4,
        kind: 'system',
        system: { type: 'role_changed', actorId: ann.id, userIds: [bob.id], role: 'admin' },
      },
      {
        seq: 5,
        kind: 'system',
        system: { type: 'member_removed', actorId: bob.id, userIds: [cat.id] },
      },
      { seq: 6, kind: 'text', senderId: bob.id },
    ];
    await waitFor(() => toAnn.length >= 5 && toBob.length >= 5, {
      timeout: 10_000,
      message: 'system messages delivered',
    });
    // Ann and Bob each got everything except their own socket's sends (those are in the acks).
    const annSees = toAnn.map((e) => e.message);
    const bobSees = toBob.map((e) => e.message);
    expect(annSees).toMatchObject(expected.filter((m) => m.seq !== 1));
    expect(bobSees).toMatchObject(expected.filter((m) => m.seq !== 6));
    // Cat joined at seq 1: it sees its own addition and the changes until it was removed.
    expect(toCat.map((e) => e.message.seq)).toEqual([2, 3, 4]);

    const synced = await ack<SyncAck>(bobSocket, 'sync', {
      cursors: [{ conversationId: group.id, seq: 0 }],
    });
    expect(synced.ok).toBe(true);
    const page = synced.conversations.find((x) => x.conversationId === group.id);
    expect(page?.messages).toMatchObject(expected);
    expect(page?.seq).toBe(6);

    const history = await cluster.http<{ messages: Message[] }>(0, 'GET', `${c}/messages?after=0`, {
      token: ann.token,
    });
    expect(history.body.messages).toMatchObject(expected);
    await cluster.settle();
    const listed = await cluster.http<{ unreadCount: number; seq: number }>(1, 'GET', c, {
      token: ann.token,
    });
    // The system lines count: Ann last read at her own send (seq 1).
    expect(listed.body).toMatchObject({ seq: 6, unreadCount: 5 });

    // A line records a change: not even its actor (here the owner) edits or removes it.
    const line = history.body.messages[1]!;
    expect(await call(0, ann, 'PATCH', `/api/messages/${line.id}`, { text: 'rewritten' })).toBe(
      403,
    );
    expect(await call(0, ann, 'DELETE', `/api/messages/${line.id}?scope=everyone`)).toBe(403);
    expect(await call(0, ann, 'DELETE', `/api/messages/${line.id}?scope=me`)).toBe(204);
  });

  it('shares the send counter under concurrency, survives a lost counter, and closes last', async () => {
    const { ann, bob, cat } = await people(cluster, 'ann', 'bob', 'cat');
    const group = await createGroup(cluster, ann, [bob]);
    const annSocket = await cluster.connect(ann, 0);
    const bobSocket = await cluster.connect(bob, 1);
    const c = `/api/conversations/${group.id}`;

    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) =>
        sendText(i % 2 ? annSocket : bobSocket, group.id, `m${i}`),
      ),
      ...['one', 'two', 'three'].map((title, i) => call(i % 2, ann, 'PATCH', c, { title })),
    ]);
    // Redis forgets the counter: the next system message seeds it from MongoDB.
    const keys = cluster.nodes[0]!.deps.redis;
    const seqKeys = await keys.keys(`*${group.id}*seq*`);
    expect(seqKeys.length).toBe(1);
    await keys.del(seqKeys[0]!);
    expect(await call(1, ann, 'POST', `${c}/members`, { userIds: [cat.id] })).toBe(200);

    const removed = waitForEvent(bobSocket, 'conversation:removed');
    const closedLine = waitForEvent<{ message: Message }>(bobSocket, 'message:new', {
      filter: (e: { message: Message }) => e.message.system?.type === 'closed',
    });
    const history = await cluster.http<{ messages: Message[] }>(0, 'GET', `${c}/messages?after=0`, {
      token: ann.token,
    });
    expect(history.body.messages.map((m) => m.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    expect(
      history.body.messages.filter((m) => m.kind === 'system').map((m) => m.system?.type),
    ).toEqual(['renamed', 'renamed', 'renamed', 'member_added']);
    expect(history.body.messages.at(-1)?.system?.type).toBe('member_added');

    expect(await call(0, bob, 'DELETE', c)).toBe(403);
    expect(await call(0, ann, 'DELETE', c)).toBe(204);
    expect((await closedLine).message).toMatchObject({
      seq: 11,
      kind: 'system',
      system: { type: 'closed', actorId: ann.id },
    });
    await removed;
  });

  it('a member leaving is a member_left line for those who stay', async () => {
    const { ann, bob } = await people(cluster, 'ann', 'bob');
    const group = await createGroup(cluster, ann, [bob]);
    const annSocket = await cluster.connect(ann, 1);
    const line = waitForEvent<{ message: Message }>(annSocket, 'message:new');
    expect(await call(0, bob, 'DELETE', `/api/conversations/${group.id}/members/${bob.id}`)).toBe(
      204,
    );
    expect((await line).message).toMatchObject({
      seq: 1,
      kind: 'system',
      senderId: bob.id,
      system: { type: 'member_left', actorId: bob.id },
    });
    expect((await line).message.system).not.toHaveProperty('userIds');
  });

  it('the owner leaving: a member_left line, then who owns the group now (role_changed owner)', async () => {
    const { ann, bob, cat } = await people(cluster, 'ann', 'bob', 'cat');
    const group = await createGroup(cluster, ann, [bob, cat]);
    const c = `/api/conversations/${group.id}`;
    // Cat is the admin, so Cat inherits although Bob joined at the same time.
    expect(await call(0, ann, 'PATCH', `${c}/members/${cat.id}`, { role: 'admin' })).toBe(200);
    const bobSocket = await cluster.connect(bob, 1);
    const lines = collect<{ message: Message }>(bobSocket, 'message:new');
    expect(await call(0, ann, 'DELETE', `${c}/members/${ann.id}`)).toBe(204);
    await waitFor(() => lines.length >= 2, { timeout: 10_000, message: 'two lines' });
    expect(lines.map((e) => e.message)).toMatchObject([
      { seq: 2, kind: 'system', system: { type: 'member_left', actorId: ann.id } },
      {
        seq: 3,
        kind: 'system',
        senderId: ann.id,
        system: { type: 'role_changed', actorId: ann.id, userIds: [cat.id], role: 'owner' },
      },
    ]);
    const view = await cluster.http<Conversation>(1, 'GET', c, { token: bob.token });
    expect(view.body.members.find((m) => m.userId === cat.id)?.role).toBe('owner');
    // An admin (not the owner) leaving hands nothing over: one line only. Lines are stored
    // before the answer, so history right after has them all.
    expect(await call(0, cat, 'PATCH', `${c}/members/${bob.id}`, { role: 'admin' })).toBe(200);
    expect(await call(1, bob, 'DELETE', `${c}/members/${bob.id}`)).toBe(204);
    const history = await cluster.http<{ messages: Message[] }>(0, 'GET', `${c}/messages?after=0`, {
      token: cat.token,
    });
    expect(history.body.messages.map((m) => m.system?.type)).toEqual([
      'role_changed',
      'member_left',
      'role_changed',
      'role_changed',
      'member_left',
    ]);
  });
});
