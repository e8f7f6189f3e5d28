import type { Conversation, Message, MessageReactionsEvent, SyncAck } from '@chat/protocol';
import { ObjectId, type MessageDoc } from '@chat/store';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import {
  ack,
  collect,
  createGroup,
  sendText,
  useTestCluster,
  type ClientSocket,
  type TestUser,
} from './fixtures/cluster.js';

const cluster = useTestCluster({ nodes: 3 });
const group = (owner: TestUser, members: TestUser[]) => createGroup(cluster, owner, members);
const send = sendText;

async function history(user: TestUser, conversationId: string, node = 0): Promise<Message[]> {
  const res = await cluster.http<{ messages: Message[] }>(
    node,
    'GET',
    `/api/conversations/${conversationId}/messages`,
    {
      token: user.token,
    },
  );
  expect(res.status).toBe(200);
  return res.body.messages;
}

/** Moves a message's send time into the past in the real database (the edit window is 15 min). */
async function age(messageId: string, ms: number): Promise<void> {
  const store = cluster.nodes[0]?.deps.store;
  if (!store) throw new Error('no store');
  await store.db
    .collection<MessageDoc>('messages')
    .updateOne(
      { _id: ObjectId.createFromHexString(messageId) },
      { $set: { createdAt: new Date(Date.now() - ms) } },
    );
}

const SIXTEEN_MINUTES = 16 * 60_000;

/** Three members, each connected to a different node. */
async function trio() {
  const { owner, bob, carol } = await people(cluster, 'owner', 'bob', 'carol');
  const conv = await group(owner, [bob, carol]);
  const sockets = await Promise.all([
    cluster.connect(owner, 0),
    cluster.connect(bob, 1),
    cluster.connect(carol, 2),
  ]);
  return {
    owner,
    bob,
    carol,
    conv,
    sockets: sockets as [ClientSocket, ClientSocket, ClientSocket],
  };
}

describe('message:edit', () => {
  it('is seen live by members on other nodes and in history; the previous text is kept in the store', async () => {
    const { bob, carol, conv, sockets } = await trio();
    const [, bobSocket, carolSocket] = sockets;
    const sent = await send(bobSocket, conv.id, 'helo wrld');

    const toCarol = waitForEvent<{ message: Message }>(carolSocket, 'message:updated');
    const edited = await ack<{ message: Message }>(bobSocket, 'message:edit', {
      messageId: sent.id,
      text: ' hello world ',
    });
    expect(edited.ok, JSON.stringify(edited.error)).toBe(true);
    expect(edited.message).toMatchObject({ id: sent.id, seq: sent.seq, text: 'hello world' });
    expect(edited.message.editedAt).toBeDefined();
    expect((await toCarol).message).toEqual(edited.message);

    const [inHistory] = await history(carol, conv.id, 2);
    expect(inHistory).toMatchObject({
      id: sent.id,
      text: 'hello world',
      editedAt: edited.message.editedAt,
    });
    // Previous versions are not served in v1 but are stored.
    expect(inHistory).not.toHaveProperty('edits');
    const doc = await cluster.nodes[0]?.deps.store.messages.findById(
      ObjectId.createFromHexString(sent.id),
    );
    expect(doc?.edits?.map((e) => e.text)).toEqual(['helo wrld']);

    // The conversation preview follows the edit, also when the edit overtook the preview's
    // own write-behind (the message is a few milliseconds old).
    await waitFor(
      async () =>
        (
          await cluster.http<Conversation>(1, 'GET', `/api/conversations/${conv.id}`, {
            token: bob.token,
          })
        ).body.lastMessage?.text === 'hello world',
      { timeout: 10_000, message: 'the preview shows the edited text' },
    );
  });

  it('refuses a non-sender (FORBIDDEN), an outsider (NOT_FOUND) and an edit after the window (EDIT_WINDOW_CLOSED)', async () => {
    const { owner, conv, sockets } = await trio();
    const [ownerSocket, bobSocket] = sockets;
    const { outsider: stranger } = await people(cluster, 'outsider');
    const outsider = await cluster.connect(stranger, 1);
    const sent = await send(bobSocket, conv.id, 'mine');

    const byOwner = await ack(ownerSocket, 'message:edit', { messageId: sent.id, text: 'hijack' });
    expect(byOwner.error?.code).toBe('FORBIDDEN');
    const byOutsider = await ack(outsider, 'message:edit', { messageId: sent.id, text: 'hijack' });
    expect(byOutsider.error?.code).toBe('NOT_FOUND');
    const empty = await ack(bobSocket, 'message:edit', { messageId: sent.id, text: '   ' });
    expect(empty.error?.code).toBe('VALIDATION_FAILED');

    await age(sent.id, SIXTEEN_MINUTES);
    const late = await ack(bobSocket, 'message:edit', { messageId: sent.id, text: 'too late' });
    expect(late.ok).toBe(false);
    expect(late.error?.code).toBe('EDIT_WINDOW_CLOSED');
    const [stored] = await history(owner, conv.id);
    expect(stored).toMatchObject({ id: sent.id, text: 'mine' });
    expect(stored).not.toHaveProperty('editedAt');
  });
});

describe('message:delete', () => {
  it('for everyone: members on other nodes get a tombstone, history shows it, the preview and reply quotes lose the text', async () => {
    const { owner, conv, sockets } = await trio();
    const [, bobSocket, carolSocket] = sockets;
    const original = await send(bobSocket, conv.id, 'secret plan');
    const reply = await send(carolSocket, conv.id, 'what plan?', { replyToId: original.id });
    expect(reply.replyTo).toMatchObject({
      id: original.id,
      seq: original.seq,
      text: 'secret plan',
    });
    const last = await send(bobSocket, conv.id, 'oops');

    const updates = collect<{ message: Message }>(carolSocket, 'message:updated');
    const deleted = await ack(bobSocket, 'message:delete', {
      messageId: original.id,
      scope: 'everyone',
    });
    expect(deleted).toEqual({ ok: true });
    await waitFor(() => updates.length === 1, { timeout: 5000, message: 'tombstone delivered' });
    const tombstone = updates[0]?.message;
    expect(tombstone).toMatchObject({
      id: original.id,
      seq: original.seq,
      deleted: true,
      attachments: [],
      reactions: [],
    });
    expect(tombstone).not.toHaveProperty('text');

    const messages = await history(owner, conv.id, 2);
    expect(messages.find((m) => m.id === original.id)).toMatchObject({ deleted: true });
    expect(messages.find((m) => m.id === original.id)).not.toHaveProperty('text');
    expect(messages.find((m) => m.id === reply.id)?.replyTo).toEqual({
      id: original.id,
      seq: original.seq,
      senderId: original.senderId,
    });

    // Deleting the latest message marks the conversation preview as deleted.
    expect(
      await ack(bobSocket, 'message:delete', { messageId: last.id, scope: 'everyone' }),
    ).toEqual({ ok: true });
    const preview = () =>
      cluster
        .http<Conversation>(0, 'GET', `/api/conversations/${conv.id}`, { token: owner.token })
        .then((res) => res.body.lastMessage);
    await waitFor(async () => (await preview())?.kind === 'deleted', {
      timeout: 10_000,
      message: 'the preview marked deleted',
    });
    expect(await preview()).toMatchObject({ id: last.id, kind: 'deleted' });
    expect(await preview()).not.toHaveProperty('text');

    // A tombstone cannot be edited or reacted to; deleting again is a no-op.
    expect(
      (await ack(bobSocket, 'message:edit', { messageId: original.id, text: 'back' })).error?.code,
    ).toBe('NOT_FOUND');
    expect(
      (await ack(carolSocket, 'message:react', { messageId: original.id, emoji: '👍', op: 'add' }))
        .error?.code,
    ).toBe('NOT_FOUND');
    expect(
      await ack(bobSocket, 'message:delete', { messageId: original.id, scope: 'everyone' }),
    ).toEqual({ ok: true });
  });

  it('for everyone: sender only within the window; a group owner/admin at any time; plain members never', async () => {
    const { owner, bob, carol, conv, sockets } = await trio();
    const [ownerSocket, bobSocket, carolSocket] = sockets;
    const a = await send(bobSocket, conv.id, 'a');
    const b = await send(ownerSocket, conv.id, 'b');

    expect(
      (await ack(carolSocket, 'message:delete', { messageId: a.id, scope: 'everyone' })).error
        ?.code,
    ).toBe('FORBIDDEN');
    await age(a.id, SIXTEEN_MINUTES);
    expect(
      (await ack(bobSocket, 'message:delete', { messageId: a.id, scope: 'everyone' })).error?.code,
    ).toBe('EDIT_WINDOW_CLOSED');
    // The owner may, long after the window.
    expect(
      await ack(ownerSocket, 'message:delete', { messageId: a.id, scope: 'everyone' }),
    ).toEqual({ ok: true });

    // An admin too; carol becomes admin.
    const promote = await cluster.http(
      0,
      'PATCH',
      `/api/conversations/${conv.id}/members/${carol.id}`,
      {
        token: owner.token,
        body: { role: 'admin' },
      },
    );
    expect(promote.status).toBe(200);
    await age(b.id, SIXTEEN_MINUTES);
    expect(
      await ack(carolSocket, 'message:delete', { messageId: b.id, scope: 'everyone' }),
    ).toEqual({ ok: true });
    const messages = await history(bob, conv.id, 1);
    expect(
      messages
        .filter((m) => m.deleted)
        .map((m) => m.id)
        .sort(),
    ).toEqual([a.id, b.id].sort());
  });

  it('for me: hidden only for that user (history, search, sync), others still see it', async () => {
    const { owner, bob, conv, sockets } = await trio();
    const [ownerSocket, bobSocket] = sockets;
    const m1 = await send(bobSocket, conv.id, 'keep this findme');
    const m2 = await send(bobSocket, conv.id, 'hide this findme');
    const updates = collect(ownerSocket, 'message:updated');

    expect(await ack(ownerSocket, 'message:delete', { messageId: m2.id, scope: 'me' })).toEqual({
      ok: true,
    });
    // Idempotent.
    expect(await ack(ownerSocket, 'message:delete', { messageId: m2.id, scope: 'me' })).toEqual({
      ok: true,
    });

    expect((await history(owner, conv.id, 1)).map((m) => m.id)).toEqual([m1.id]);
    expect((await history(bob, conv.id, 2)).map((m) => m.id)).toEqual([m2.id, m1.id]);
    const search = await cluster.http<{ messages: Message[] }>(
      0,
      'GET',
      `/api/conversations/${conv.id}/messages/search?q=FINDME`,
      {
        token: owner.token,
      },
    );
    expect(search.body.messages.map((m) => m.id)).toEqual([m1.id]);
    const sync = await ack<SyncAck>(ownerSocket, 'sync', {
      cursors: [{ conversationId: conv.id, seq: 0 }],
    });
    expect(sync.conversations[0]?.messages.map((m) => m.id)).toEqual([m1.id]);
    // Hidden for me means gone for me: no edits/reactions through it either.
    expect(
      (await ack(ownerSocket, 'message:react', { messageId: m2.id, emoji: '👍', op: 'add' })).error
        ?.code,
    ).toBe('NOT_FOUND');
    expect(updates).toHaveLength(0);
  });
});

describe('message:react', () => {
  it('counts a repeated reaction once, broadcasts to other nodes, and shows in history', async () => {
    const { owner, bob, carol, conv, sockets } = await trio();
    const [ownerSocket, bobSocket, carolSocket] = sockets;
    const sent = await send(ownerSocket, conv.id, 'vote');
    const events = collect<MessageReactionsEvent>(carolSocket, 'message:reactions');

    const first = await ack<{ reactions: unknown[] }>(bobSocket, 'message:react', {
      messageId: sent.id,
      emoji: '👍',
      op: 'add',
    });
    expect(first.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [bob.id] }]);
    const again = await ack<{ reactions: unknown[] }>(bobSocket, 'message:react', {
      messageId: sent.id,
      emoji: '👍',
      op: 'add',
    });
    expect(again.reactions).toEqual([{ emoji: '👍', count: 1, userIds: [bob.id] }]);
    await ack(carolSocket, 'message:react', { messageId: sent.id, emoji: '👍', op: 'add' });
    await ack(carolSocket, 'message:react', { messageId: sent.id, emoji: '🎉', op: 'add' });

    await waitFor(() => events.length === 3, {
      timeout: 5000,
      message: 'three reaction events (the repeat sends none)',
    });
    expect(events[2]).toEqual({
      conversationId: conv.id,
      messageId: sent.id,
      reactions: [
        { emoji: '👍', count: 2, userIds: [bob.id, carol.id] },
        { emoji: '🎉', count: 1, userIds: [carol.id] },
      ],
    });

    const removed = await ack<{ reactions: unknown[] }>(bobSocket, 'message:react', {
      messageId: sent.id,
      emoji: '👍',
      op: 'remove',
    });
    expect(removed.reactions).toEqual([
      { emoji: '👍', count: 1, userIds: [carol.id] },
      { emoji: '🎉', count: 1, userIds: [carol.id] },
    ]);
    const [inHistory] = await history(owner, conv.id, 1);
    expect(inHistory?.reactions).toEqual(removed.reactions);
  });

  it('allows at most 20 distinct emoji per message (VALIDATION_FAILED)', async () => {
    const { conv, sockets } = await trio();
    const [ownerSocket, bobSocket] = sockets;
    const sent = await send(ownerSocket, conv.id, 'many');
    const emoji = Array.from({ length: 20 }, (_, i) => String.fromCodePoint(0x1f600 + i));
    for (const e of emoji) {
      const res = await ack(bobSocket, 'message:react', {
        messageId: sent.id,
        emoji: e,
        op: 'add',
      });
      expect(res.ok, JSON.stringify(res.error)).toBe(true);
    }
    const over = await ack(ownerSocket, 'message:react', {
      messageId: sent.id,
      emoji: '🦄',
      op: 'add',
    });
    expect(over.ok).toBe(false);
    expect(over.error?.code).toBe('VALIDATION_FAILED');
    // An emoji already on the message can still be added by someone else.
    const existing = await ack<{ reactions: Array<{ emoji: string; count: number }> }>(
      ownerSocket,
      'message:react',
      {
        messageId: sent.id,
        emoji: emoji[0],
        op: 'add',
      },
    );
    expect(existing.reactions.find((r) => r.emoji === emoji[0])?.count).toBe(2);
  });
});

describe('replies and search', () => {
  it('a reply carries a preview of the message it answers; replying to an unknown message is NOT_FOUND', async () => {
    const { bob, conv, sockets } = await trio();
    const [ownerSocket, bobSocket] = sockets;
    const question = await send(ownerSocket, conv.id, 'lunch?');
    const answer = await send(bobSocket, conv.id, 'yes', { replyToId: question.id });
    expect(answer.replyTo).toEqual({
      id: question.id,
      seq: question.seq,
      senderId: question.senderId,
      text: 'lunch?',
    });

    const edited = await ack(ownerSocket, 'message:edit', {
      messageId: question.id,
      text: 'dinner?',
    });
    expect(edited.ok).toBe(true);
    // The quote follows the edit in history.
    const inHistory = (await history(bob, conv.id, 1)).find((m) => m.id === answer.id);
    expect(inHistory?.replyTo?.text).toBe('dinner?');
    const missing = await ack(bobSocket, 'message:send', {
      conversationId: conv.id,
      clientMsgId: 'r-missing',
      text: 'x',
      replyToId: new ObjectId().toHexString(),
    });
    expect(missing.error?.code).toBe('NOT_FOUND');
  });

  it('searches case-insensitively, newest first, literally (regex characters escaped), members only', async () => {
    const { owner, conv, sockets } = await trio();
    const [ownerSocket, bobSocket] = sockets;
    const a = await send(ownerSocket, conv.id, 'Price is $5.00 (approx)');
    const b = await send(bobSocket, conv.id, 'the PRICE went up');
    await send(bobSocket, conv.id, 'unrelated');
    const search = (q: string, token = owner.token) =>
      cluster.http<{ messages: Message[] }>(
        2,
        'GET',
        `/api/conversations/${conv.id}/messages/search?q=${encodeURIComponent(q)}`,
        {
          token,
        },
      );

    expect((await search('price')).body.messages.map((m) => m.id)).toEqual([b.id, a.id]);
    expect((await search('$5.00 (')).body.messages.map((m) => m.id)).toEqual([a.id]);
    expect((await search('.*')).body.messages).toEqual([]);
    // A catastrophic-backtracking pattern is just text: answered at once, no match.
    const started = Date.now();
    const redos = await search(`(a+)+$${'a'.repeat(40)}!`);
    expect(redos.status).toBe(200);
    expect(redos.body.messages).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);

    const { outsider } = await people(cluster, 'outsider');
    expect((await search('price', outsider.token)).status).toBe(404);
  });
});
