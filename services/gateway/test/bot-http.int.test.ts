import type { Message, ReceiptEvent } from '@chat/protocol';
import { waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { people } from './fixtures/api.js';
import { createGroup, useTestCluster, type TestUser } from './fixtures/cluster.js';

/**
 * docs/PROTOCOL.md#section-7 "HTTP forms of socket events": a bot that speaks only HTTP can mark read,
 * edit, delete, react and read the edit history, with the rules of the socket events.
 * Two nodes: the HTTP call lands on one, the member's socket listens on the other.
 */
const cluster = useTestCluster({ nodes: 2 });
type ErrorBody = { error: { code: string } };

async function post(user: TestUser, conversationId: string, text: string): Promise<Message> {
  const res = await cluster.http<Message>(
    0,
    'POST',
    `/api/conversations/${conversationId}/messages`,
    {
      token: user.token,
      body: { clientMsgId: `b-${Math.random()}`, text },
    },
  );
  expect(res.status).toBe(201);
  return res.body;
}

async function setup() {
  const { owner, bot, member, stranger } = await people(
    cluster,
    'owner',
    'bot',
    'member',
    'stranger',
  );
  const group = await createGroup(cluster, owner, [bot, member]);
  return { owner, bot, member, stranger, group };
}

describe('HTTP for bots', () => {
  it('marks read and delivered; cursors only move forward; members only', async () => {
    const { owner, bot, stranger, group } = await setup();
    const ownerSocket = await cluster.connect(owner, 1);
    await post(owner, group.id, 'one');
    await post(owner, group.id, 'two');

    const receipt = waitForEvent<ReceiptEvent>(ownerSocket, 'receipt');
    const read = await cluster.http<{ readSeq: number }>(
      0,
      'POST',
      `/api/conversations/${group.id}/read`,
      {
        token: bot.token,
        body: { seq: 2 },
      },
    );
    expect(read).toMatchObject({ status: 200, body: { readSeq: 2 } });
    expect(await receipt).toMatchObject({ conversationId: group.id, userId: bot.id, readSeq: 2 });

    const lower = await cluster.http(0, 'POST', `/api/conversations/${group.id}/read`, {
      token: bot.token,
      body: { seq: 1 },
    });
    expect(lower).toMatchObject({ status: 200, body: { readSeq: 2 } });
    const delivered = await cluster.http(1, 'POST', `/api/conversations/${group.id}/delivered`, {
      token: bot.token,
      body: { seq: 99 },
    });
    // Clamped to the conversation's latest seq: no pre-reading the future.
    expect(delivered).toMatchObject({ status: 200, body: { deliveredSeq: 2 } });

    const foreign = await cluster.http<ErrorBody>(
      0,
      'POST',
      `/api/conversations/${group.id}/read`,
      {
        token: stranger.token,
        body: { seq: 1 },
      },
    );
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    for (const body of [{ seq: -1 }, { seq: 'x' }, {}, { seq: 1, extra: true }]) {
      const bad = await cluster.http<ErrorBody>(0, 'POST', `/api/conversations/${group.id}/read`, {
        token: bot.token,
        body,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    }
    const anonymous = await cluster.http(0, 'POST', `/api/conversations/${group.id}/read`, {
      body: { seq: 1 },
    });
    expect(anonymous.status).toBe(401);
  });

  it('edits (sender only), keeps the history, and serves it to members only', async () => {
    const { owner, bot, member, stranger, group } = await setup();
    const memberSocket = await cluster.connect(member, 1);
    const message = await post(bot, group.id, 'first');

    const updated = waitForEvent<{ message: Message }>(memberSocket, 'message:updated');
    const edited = await cluster.http<Message>(0, 'PATCH', `/api/messages/${message.id}`, {
      token: bot.token,
      body: { text: 'second' },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: message.id, text: 'second', seq: message.seq });
    expect(edited.body.editedAt).toBeDefined();
    expect((await updated).message).toEqual(edited.body);
    await cluster.http(1, 'PATCH', `/api/messages/${message.id}`, {
      token: bot.token,
      body: { text: 'third' },
    });

    const edits = await cluster.http<{ edits: { text: string; editedAt: string }[] }>(
      1,
      'GET',
      `/api/messages/${message.id}/edits`,
      { token: member.token },
    );
    expect(edits.status).toBe(200);
    expect(edits.body.edits.map((e) => e.text)).toEqual(['first', 'second']);
    expect(edits.body.edits[0]?.editedAt).toBe(message.createdAt);
    expect(edits.body.edits[1]?.editedAt).toBe(edited.body.editedAt);

    const notSender = await cluster.http<ErrorBody>(0, 'PATCH', `/api/messages/${message.id}`, {
      token: owner.token,
      body: { text: 'hijack' },
    });
    expect(notSender.status).toBe(403);
    expect(notSender.body.error.code).toBe('FORBIDDEN');
    for (const path of [`/api/messages/${message.id}`, `/api/messages/${message.id}/edits`]) {
      const res = await cluster.http<ErrorBody>(0, path.endsWith('edits') ? 'GET' : 'PATCH', path, {
        token: stranger.token,
        ...(path.endsWith('edits') ? {} : { body: { text: 'x' } }),
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    const tooLong = await cluster.http<ErrorBody>(0, 'PATCH', `/api/messages/${message.id}`, {
      token: bot.token,
      body: { text: 'x'.repeat(4001) },
    });
    expect(tooLong.status).toBe(413);
    const blank = await cluster.http<ErrorBody>(0, 'PATCH', `/api/messages/${message.id}`, {
      token: bot.token,
      body: { text: '   ' },
    });
    expect(blank.status).toBe(400);
    // The sender's own id in the body is ignored (docs/PROTOCOL.md#section-1), not an error.
    const withSender = await cluster.http<Message>(0, 'PATCH', `/api/messages/${message.id}`, {
      token: bot.token,
      body: { text: 'fourth', senderId: owner.id },
    });
    expect(withSender).toMatchObject({ status: 200, body: { text: 'fourth', senderId: bot.id } });
  });

  it('reacts idempotently, members only', async () => {
    const { owner, bot, stranger, group } = await setup();
    const ownerSocket = await cluster.connect(owner, 1);
    const message = await post(owner, group.id, 'react to me');
    const live = waitForEvent<{ messageId: string; reactions: unknown }>(
      ownerSocket,
      'message:reactions',
    );
    const path = `/api/messages/${message.id}/reactions`;
    const added = await cluster.http(0, 'POST', path, {
      token: bot.token,
      body: { emoji: '👍', op: 'add' },
    });
    const expected = [{ emoji: '👍', count: 1, userIds: [bot.id] }];
    expect(added).toMatchObject({ status: 200, body: { reactions: expected } });
    expect(await live).toMatchObject({ messageId: message.id, reactions: expected });
    const again = await cluster.http(1, 'POST', path, {
      token: bot.token,
      body: { emoji: '👍', op: 'add' },
    });
    expect(again).toMatchObject({ status: 200, body: { reactions: expected } });
    const removed = await cluster.http(1, 'POST', path, {
      token: bot.token,
      body: { emoji: '👍', op: 'remove' },
    });
    expect(removed).toMatchObject({ status: 200, body: { reactions: [] } });

    const foreign = await cluster.http<ErrorBody>(0, 'POST', path, {
      token: stranger.token,
      body: { emoji: '👍', op: 'add' },
    });
    expect(foreign.status).toBe(404);
    const bad = await cluster.http<ErrorBody>(0, 'POST', path, {
      token: bot.token,
      body: { emoji: '👍', op: 'toggle' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('deletes for me or for everyone with the sender/admin rules', async () => {
    const { owner, bot, member, stranger, group } = await setup();
    const memberSocket = await cluster.connect(member, 1);
    const byOwner = await post(owner, group.id, 'owner says');
    const byMember = await post(member, group.id, 'member says');
    await cluster.http(0, 'PATCH', `/api/messages/${byMember.id}`, {
      token: member.token,
      body: { text: 'member says, edited' },
    });

    const noScope = await cluster.http<ErrorBody>(0, 'DELETE', `/api/messages/${byOwner.id}`, {
      token: owner.token,
    });
    expect(noScope.status).toBe(400);
    const notAdmin = await cluster.http<ErrorBody>(
      0,
      'DELETE',
      `/api/messages/${byOwner.id}?scope=everyone`,
      { token: bot.token },
    );
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.error.code).toBe('FORBIDDEN');
    const foreign = await cluster.http(0, 'DELETE', `/api/messages/${byOwner.id}?scope=me`, {
      token: stranger.token,
    });
    expect(foreign.status).toBe(404);

    // The group owner deletes another member's message for everyone.
    const tombstone = waitForEvent<{ message: Message }>(memberSocket, 'message:updated');
    const moderated = await cluster.http(
      1,
      'DELETE',
      `/api/messages/${byMember.id}?scope=everyone`,
      {
        token: owner.token,
      },
    );
    expect(moderated.status).toBe(204);
    expect((await tombstone).message).toMatchObject({ id: byMember.id, deleted: true });
    expect((await tombstone).message.text).toBeUndefined();
    const edits = await cluster.http(0, 'GET', `/api/messages/${byMember.id}/edits`, {
      token: member.token,
    });
    expect(edits).toMatchObject({ status: 200, body: { edits: [] } });

    // Delete for me: only the bot stops seeing it, repeatable.
    for (let i = 0; i < 2; i++) {
      const mine = await cluster.http(0, 'DELETE', `/api/messages/${byOwner.id}?scope=me`, {
        token: bot.token,
      });
      expect(mine.status).toBe(204);
    }
    const hidden = await cluster.http(0, 'GET', `/api/messages/${byOwner.id}/edits`, {
      token: bot.token,
    });
    expect(hidden.status).toBe(404);
    const history = await cluster.http<{ messages: Message[] }>(
      0,
      'GET',
      `/api/conversations/${group.id}/messages?after=0`,
      { token: bot.token },
    );
    expect(history.body.messages.map((m) => m.id)).not.toContain(byOwner.id);
    const stillThere = await cluster.http(0, 'GET', `/api/messages/${byOwner.id}/edits`, {
      token: member.token,
    });
    expect(stillThere).toMatchObject({ status: 200, body: { edits: [] } });
  });
});
