import type { Conversation, Message } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ack,
  collect,
  startTestCluster,
  type ClientSocket,
  type TestCluster,
  type TestUser,
} from './fixtures/cluster.js';

// Conversation management over HTTP with members' sockets on different nodes: every
// change must reach the right sockets cluster-wide, and every role rule must hold.

interface ErrorBody {
  code: string;
  message: string;
}

let cluster: TestCluster;
let counter = 0;
const run = Date.now().toString(36);
const fresh = (prefix: string): string => `${prefix}_${run}_${counter++}`;
let clientMsg = 0;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 3 });
});
afterAll(async () => {
  await cluster?.close();
});

async function users(n: number, prefix = 'cu'): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (let i = 0; i < n; i++)
    out.push(await cluster.register(fresh(prefix), i % cluster.nodes.length));
  return out;
}

async function group(
  owner: TestUser,
  members: TestUser[],
  title = 'team',
  node = 0,
): Promise<Conversation> {
  const res = await cluster.http<Conversation>(node, 'POST', '/api/conversations/group', {
    token: owner.token,
    body: { title, memberIds: members.map((m) => m.id) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function send(socket: ClientSocket, conversationId: string, text: string): Promise<Message> {
  const res = await ack<{ message: Message }>(socket, 'message:send', {
    conversationId,
    clientMsgId: `cm-${run}-${clientMsg++}`,
    text,
  });
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  return res.message;
}

async function httpSend(user: TestUser, conversationId: string, text: string, node = 0) {
  return cluster.http<Message & { error: ErrorBody }>(
    node,
    'POST',
    `/api/conversations/${conversationId}/messages`,
    {
      token: user.token,
      body: { clientMsgId: `cm-${run}-${clientMsg++}`, text },
    },
  );
}

const roles = (c: Conversation): Record<string, string> =>
  Object.fromEntries(c.members.map((m) => [m.userId, m.role]));
const updatedFor = (
  socket: ClientSocket,
  conversationId: string,
  check: (c: Conversation) => boolean = () => true,
) =>
  waitForEvent<{ conversation: Conversation }>(socket, 'conversation:updated', {
    filter: (e) => e.conversation.id === conversationId && check(e.conversation),
  });

describe('groups', () => {
  it('create: caller is owner, members get conversation:updated on their nodes and can talk at once', async () => {
    const [alice, bob, carol] = await users(3);
    const bobSocket = await cluster.connect(bob!, 1);
    const carolSocket = await cluster.connect(carol!, 2);
    const bobSees = waitForEvent<{ conversation: Conversation }>(bobSocket, 'conversation:updated');
    const carolSees = waitForEvent<{ conversation: Conversation }>(
      carolSocket,
      'conversation:updated',
    );

    const created = await group(alice!, [bob!, carol!, alice!], 'Project X');
    expect(created).toMatchObject({
      type: 'group',
      title: 'Project X',
      seq: 0,
      readSeq: 0,
      unreadCount: 0,
    });
    expect(roles(created)).toEqual({
      [alice!.id]: 'owner',
      [bob!.id]: 'member',
      [carol!.id]: 'member',
    });
    for (const m of created.members) expect(m.user.id).toBe(m.userId);
    expect(created.members.find((m) => m.userId === bob!.id)?.user.username).toBe(bob!.username);

    expect((await bobSees).conversation.id).toBe(created.id);
    expect((await carolSees).conversation.title).toBe('Project X');

    // No reconnect needed: carol (node 2) receives what bob (node 1) sends.
    const toCarol = waitForEvent<{ message: Message }>(carolSocket, 'message:new');
    const sent = await send(bobSocket, created.id, 'hello team');
    expect((await toCarol).message.id).toBe(sent.id);

    // Unread counts are current on every node at once; the preview once written behind.
    await cluster.settle();
    const get = await cluster.http<Conversation>(2, 'GET', `/api/conversations/${created.id}`, {
      token: carol!.token,
    });
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ id: created.id, seq: 1, readSeq: 0, unreadCount: 1 });
    expect(get.body.lastMessage).toMatchObject({
      id: sent.id,
      seq: 1,
      senderId: bob!.id,
      text: 'hello team',
    });
  });

  it('create refuses unknown member ids (404) and blank titles (400)', async () => {
    const [alice] = await users(1);
    const unknown = await cluster.http<{ error: ErrorBody }>(
      0,
      'POST',
      '/api/conversations/group',
      {
        token: alice!.token,
        body: { title: 't', memberIds: ['0123456789abcdef01234567'] },
      },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const blank = await cluster.http<{ error: ErrorBody }>(0, 'POST', '/api/conversations/group', {
      token: alice!.token,
      body: { title: '   ', memberIds: [] },
    });
    expect(blank.status).toBe(400);
    const list = await cluster.http<{ conversations: Conversation[] }>(
      0,
      'GET',
      '/api/conversations',
      { token: alice!.token },
    );
    expect(list.body.conversations).toEqual([]);
  });

  it('rename: owner and admin may, a member gets 403; members see the new title', async () => {
    const [alice, bob, carol] = await users(3);
    const conv = await group(alice!, [bob!, carol!], 'before');
    const carolSocket = await cluster.connect(carol!, 2);

    const byMember = await cluster.http<{ error: ErrorBody }>(
      1,
      'PATCH',
      `/api/conversations/${conv.id}`,
      {
        token: bob!.token,
        body: { title: 'hijacked' },
      },
    );
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe('FORBIDDEN');

    const renamed = updatedFor(carolSocket, conv.id, (c) => c.title === 'after');
    const byOwner = await cluster.http<Conversation>(0, 'PATCH', `/api/conversations/${conv.id}`, {
      token: alice!.token,
      body: { title: 'after', avatarUrl: 'https://example.com/a.png' },
    });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({ title: 'after', avatarUrl: 'https://example.com/a.png' });
    expect((await renamed).conversation.avatarUrl).toBe('https://example.com/a.png');

    const promote = await cluster.http(
      0,
      'PATCH',
      `/api/conversations/${conv.id}/members/${bob!.id}`,
      {
        token: alice!.token,
        body: { role: 'admin' },
      },
    );
    expect(promote.status).toBe(200);
    const byAdmin = await cluster.http<Conversation>(1, 'PATCH', `/api/conversations/${conv.id}`, {
      token: bob!.token,
      body: { title: 'by admin' },
    });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.title).toBe('by admin');
    const seen = await cluster.http<Conversation>(2, 'GET', `/api/conversations/${conv.id}`, {
      token: carol!.token,
    });
    expect(seen.body.title).toBe('by admin');
  });

  it('a direct conversation cannot be renamed or given members', async () => {
    const [alice, bob, carol] = await users(3);
    const direct = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: bob!.id },
    });
    const rename = await cluster.http(0, 'PATCH', `/api/conversations/${direct.body.id}`, {
      token: alice!.token,
      body: { title: 'x' },
    });
    expect(rename.status).toBe(403);
    const add = await cluster.http(0, 'POST', `/api/conversations/${direct.body.id}/members`, {
      token: alice!.token,
      body: { userIds: [carol!.id] },
    });
    expect(add.status).toBe(403);
    const leave = await cluster.http(
      0,
      'DELETE',
      `/api/conversations/${direct.body.id}/members/${alice!.id}`,
      { token: alice!.token },
    );
    expect(leave.status).toBe(403);
    const get = await cluster.http<Conversation>(1, 'GET', `/api/conversations/${direct.body.id}`, {
      token: bob!.token,
    });
    expect(get.body.members.map((m) => m.userId).sort()).toEqual([alice!.id, bob!.id].sort());
    expect(get.body.title).toBeUndefined();
  });

  it('add members: owner/admin only; the added user starts receiving without reconnecting, caught up', async () => {
    const [alice, bob, carol, dave, erin] = await users(5);
    const conv = await group(alice!, [bob!, carol!]);
    const aliceSocket = await cluster.connect(alice!, 0);
    await send(aliceSocket, conv.id, 'before dave');
    const daveSocket = await cluster.connect(dave!, 2);

    const byMember = await cluster.http<{ error: ErrorBody }>(
      1,
      'POST',
      `/api/conversations/${conv.id}/members`,
      {
        token: bob!.token,
        body: { userIds: [dave!.id] },
      },
    );
    expect(byMember.status).toBe(403);
    expect(byMember.body.error.code).toBe('FORBIDDEN');
    const byOutsider = await cluster.http(1, 'POST', `/api/conversations/${conv.id}/members`, {
      token: erin!.token,
      body: { userIds: [erin!.id] },
    });
    expect(byOutsider.status).toBe(404);
    const unknownUser = await cluster.http(0, 'POST', `/api/conversations/${conv.id}/members`, {
      token: alice!.token,
      body: { userIds: ['0123456789abcdef01234567'] },
    });
    expect(unknownUser.status).toBe(404);

    const daveJoined = updatedFor(daveSocket, conv.id);
    const added = await cluster.http<Conversation>(
      0,
      'POST',
      `/api/conversations/${conv.id}/members`,
      {
        token: alice!.token,
        body: { userIds: [dave!.id] },
      },
    );
    expect(added.status).toBe(200);
    expect(roles(added.body)[dave!.id]).toBe('member');
    const daveView = (await daveJoined).conversation;
    expect(daveView.unreadCount).toBe(0);
    expect(daveView.readSeq).toBe(1);

    const toDave = waitForEvent<{ message: Message }>(daveSocket, 'message:new');
    const sent = await send(aliceSocket, conv.id, 'welcome dave');
    expect((await toDave).message.id).toBe(sent.id);

    // An admin may add too.
    await cluster.http(0, 'PATCH', `/api/conversations/${conv.id}/members/${carol!.id}`, {
      token: alice!.token,
      body: { role: 'admin' },
    });
    const byAdmin = await cluster.http<Conversation>(
      2,
      'POST',
      `/api/conversations/${conv.id}/members`,
      {
        token: carol!.token,
        body: { userIds: [erin!.id] },
      },
    );
    expect(byAdmin.status).toBe(200);
    expect(Object.keys(roles(byAdmin.body)).sort()).toEqual(
      [alice, bob, carol, dave, erin].map((u) => u!.id).sort(),
    );
  });

  it('roles: only the owner changes them; the owner cannot demote itself', async () => {
    const [alice, bob, carol, outsider] = await users(4);
    const conv = await group(alice!, [bob!, carol!]);
    const bobSocket = await cluster.connect(bob!, 1);
    const bobPromoted = updatedFor(bobSocket, conv.id, (c) => roles(c)[bob!.id] === 'admin');
    const promote = await cluster.http<Conversation>(
      0,
      'PATCH',
      `/api/conversations/${conv.id}/members/${bob!.id}`,
      {
        token: alice!.token,
        body: { role: 'admin' },
      },
    );
    expect(promote.status).toBe(200);
    expect(roles(promote.body)).toEqual({
      [alice!.id]: 'owner',
      [bob!.id]: 'admin',
      [carol!.id]: 'member',
    });
    await bobPromoted;

    for (const [actor, target, role] of [
      [bob!, carol!, 'admin'],
      [carol!, bob!, 'member'],
      [bob!, alice!, 'member'],
    ] as const) {
      const res = await cluster.http<{ error: ErrorBody }>(
        1,
        'PATCH',
        `/api/conversations/${conv.id}/members/${target.id}`,
        {
          token: actor.token,
          body: { role },
        },
      );
      expect(res.status, `${actor.username} → ${target.username}`).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    const self = await cluster.http(
      0,
      'PATCH',
      `/api/conversations/${conv.id}/members/${alice!.id}`,
      {
        token: alice!.token,
        body: { role: 'member' },
      },
    );
    expect(self.status).toBe(403);
    const notMember = await cluster.http(
      0,
      'PATCH',
      `/api/conversations/${conv.id}/members/${outsider!.id}`,
      {
        token: alice!.token,
        body: { role: 'admin' },
      },
    );
    expect(notMember.status).toBe(404);
    const demote = await cluster.http<Conversation>(
      0,
      'PATCH',
      `/api/conversations/${conv.id}/members/${bob!.id}`,
      {
        token: alice!.token,
        body: { role: 'member' },
      },
    );
    expect(roles(demote.body)).toEqual({
      [alice!.id]: 'owner',
      [bob!.id]: 'member',
      [carol!.id]: 'member',
    });
  });

  it('remove member and leave: rules, conversation:removed to the removed user, events stop at once', async () => {
    const [alice, bob, carol, dave] = await users(4);
    const conv = await group(alice!, [bob!, carol!, dave!]);
    const aliceSocket = await cluster.connect(alice!, 0);
    const carolSocket = await cluster.connect(carol!, 2);
    // dave shares carol's node: when dave has a broadcast, carol's copy was due in the same pass.
    const daveSocket = await cluster.connect(dave!, 2);
    const carolMessages = collect<{ message: Message }>(carolSocket, 'message:new');
    const daveMessages = collect<{ message: Message }>(daveSocket, 'message:new');

    const byMember = await cluster.http<{ error: ErrorBody }>(
      1,
      'DELETE',
      `/api/conversations/${conv.id}/members/${carol!.id}`,
      {
        token: bob!.token,
      },
    );
    expect(byMember.status).toBe(403);
    await cluster.http(0, 'PATCH', `/api/conversations/${conv.id}/members/${bob!.id}`, {
      token: alice!.token,
      body: { role: 'admin' },
    });
    const adminRemovesOwner = await cluster.http(
      1,
      'DELETE',
      `/api/conversations/${conv.id}/members/${alice!.id}`,
      {
        token: bob!.token,
      },
    );
    expect(adminRemovesOwner.status).toBe(403);

    const carolRemoved = waitForEvent<{ conversationId: string }>(
      carolSocket,
      'conversation:removed',
    );
    const aliceUpdated = updatedFor(
      aliceSocket,
      conv.id,
      (c) => !c.members.some((m) => m.userId === carol!.id),
    );
    const removed = await cluster.http(
      1,
      'DELETE',
      `/api/conversations/${conv.id}/members/${carol!.id}`,
      { token: bob!.token },
    );
    expect(removed.status).toBe(204);
    expect((await carolRemoved).conversationId).toBe(conv.id);
    await aliceUpdated;

    const after = await send(aliceSocket, conv.id, 'carol is gone');
    await waitFor(() => daveMessages.some((e) => e.message.id === after.id), {
      timeout: 5000,
      message: 'dave got the message',
    });
    expect(carolMessages.map((e) => e.message.id)).not.toContain(after.id);
    const carolGet = await cluster.http(2, 'GET', `/api/conversations/${conv.id}`, {
      token: carol!.token,
    });
    expect(carolGet.status).toBe(404);
    expect((await httpSend(carol!, conv.id, 'let me back', 2)).status).toBe(404);
    const again = await cluster.http(
      1,
      'DELETE',
      `/api/conversations/${conv.id}/members/${carol!.id}`,
      { token: bob!.token },
    );
    expect(again.status).toBe(404);

    // dave leaves by removing himself.
    const daveRemoved = waitForEvent<{ conversationId: string }>(
      daveSocket,
      'conversation:removed',
    );
    const left = await cluster.http(
      2,
      'DELETE',
      `/api/conversations/${conv.id}/members/${dave!.id}`,
      { token: dave!.token },
    );
    expect(left.status).toBe(204);
    expect((await daveRemoved).conversationId).toBe(conv.id);
    const members = await cluster.http<Conversation>(0, 'GET', `/api/conversations/${conv.id}`, {
      token: alice!.token,
    });
    expect(roles(members.body)).toEqual({ [alice!.id]: 'owner', [bob!.id]: 'admin' });
    const daveList = await cluster.http<{ conversations: Conversation[] }>(
      2,
      'GET',
      '/api/conversations',
      { token: dave!.token },
    );
    expect(daveList.body.conversations.map((c) => c.id)).not.toContain(conv.id);
  });

  it('owner closes the group: everyone gets conversation:removed, GET/history/send → 404', async () => {
    const [alice, bob, carol] = await users(3);
    const conv = await group(alice!, [bob!, carol!]);
    const aliceSocket = await cluster.connect(alice!, 0);
    const bobSocket = await cluster.connect(bob!, 1);
    const carolSocket = await cluster.connect(carol!, 2);
    await send(aliceSocket, conv.id, 'secret plans');

    const notOwner = await cluster.http<{ error: ErrorBody }>(
      1,
      'DELETE',
      `/api/conversations/${conv.id}`,
      { token: bob!.token },
    );
    expect(notOwner.status).toBe(403);

    const removedEvents = [aliceSocket, bobSocket, carolSocket].map((s) =>
      waitForEvent<{ conversationId: string }>(s, 'conversation:removed', {
        filter: (e) => e.conversationId === conv.id,
      }),
    );
    const closed = await cluster.http(0, 'DELETE', `/api/conversations/${conv.id}`, {
      token: alice!.token,
    });
    expect(closed.status).toBe(204);
    await Promise.all(removedEvents);

    for (const [i, user] of [alice!, bob!, carol!].entries()) {
      const get = await cluster.http<{ error: ErrorBody }>(
        i,
        'GET',
        `/api/conversations/${conv.id}`,
        { token: user.token },
      );
      expect(get.status).toBe(404);
      expect(get.body.error.code).toBe('NOT_FOUND');
      const history = await cluster.http(i, 'GET', `/api/conversations/${conv.id}/messages`, {
        token: user.token,
      });
      expect(history.status).toBe(404);
      const list = await cluster.http<{ conversations: Conversation[] }>(
        i,
        'GET',
        '/api/conversations',
        { token: user.token },
      );
      expect(list.body.conversations.map((c) => c.id)).not.toContain(conv.id);
    }
    const socketHistory = await ack(bobSocket, 'message:history', { conversationId: conv.id });
    expect(socketHistory.error?.code).toBe('NOT_FOUND');
    const socketSend = await ack(carolSocket, 'message:send', {
      conversationId: conv.id,
      clientMsgId: `cm-${run}-${clientMsg++}`,
      text: 'x',
    });
    expect(socketSend.error?.code).toBe('NOT_FOUND');
    const sync = await ack<{ conversations: unknown[]; changed: Conversation[] }>(
      bobSocket,
      'sync',
      { cursors: [{ conversationId: conv.id, seq: 0 }] },
    );
    expect(sync.conversations).toEqual([]);
    expect(JSON.stringify(sync)).not.toContain('secret plans');
    const again = await cluster.http(0, 'DELETE', `/api/conversations/${conv.id}`, {
      token: alice!.token,
    });
    expect(again.status).toBe(404);
  });
});

describe('direct conversations and blocking', () => {
  it('get-or-create: 201 then 200 with the same id, from either side and any node', async () => {
    const [alice, bob] = await users(2);
    const first = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: bob!.id },
    });
    expect(first.status).toBe(201);
    expect(first.body.type).toBe('direct');
    expect(roles(first.body)).toEqual({ [alice!.id]: 'member', [bob!.id]: 'member' });
    const second = await cluster.http<Conversation>(1, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: bob!.id },
    });
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const reverse = await cluster.http<Conversation>(2, 'POST', '/api/conversations/direct', {
      token: bob!.token,
      body: { userId: alice!.id },
    });
    expect(reverse.status).toBe(200);
    expect(reverse.body.id).toBe(first.body.id);

    const self = await cluster.http(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: alice!.id },
    });
    expect(self.status).toBe(400);
    const ghost = await cluster.http(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: '0123456789abcdef01234567' },
    });
    expect(ghost.status).toBe(404);
  });

  it('block → FORBIDDEN for opening and for sending; unblock restores it', async () => {
    const [alice, bob, carol] = await users(3);
    const existing = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
      token: alice!.token,
      body: { userId: bob!.id },
    });
    expect(existing.status).toBe(201);
    const aliceSocket = await cluster.connect(alice!, 0);

    // bob blocks alice and carol.
    for (const target of [alice!, carol!]) {
      const block = await cluster.http(1, 'POST', `/api/users/${target.id}/block`, {
        token: bob!.token,
      });
      expect(block.status).toBe(204);
    }
    const open = await cluster.http<{ error: ErrorBody }>(2, 'POST', '/api/conversations/direct', {
      token: carol!.token,
      body: { userId: bob!.id },
    });
    expect(open.status).toBe(403);
    expect(open.body.error.code).toBe('FORBIDDEN');
    const reopen = await cluster.http<{ error: ErrorBody }>(
      0,
      'POST',
      '/api/conversations/direct',
      { token: alice!.token, body: { userId: bob!.id } },
    );
    expect(reopen.status).toBe(403);

    const socketSend = await ack(aliceSocket, 'message:send', {
      conversationId: existing.body.id,
      clientMsgId: `cm-${run}-${clientMsg++}`,
      text: 'hi?',
    });
    expect(socketSend.ok).toBe(false);
    expect(socketSend.error?.code).toBe('FORBIDDEN');
    const viaHttp = await httpSend(alice!, existing.body.id, 'hello?', 2);
    expect(viaHttp.status).toBe(403);
    expect(viaHttp.body.error.code).toBe('FORBIDDEN');
    const history = await cluster.http<{ messages: Message[] }>(
      1,
      'GET',
      `/api/conversations/${existing.body.id}/messages`,
      { token: bob!.token },
    );
    expect(history.body.messages).toEqual([]);

    // Blocking does not reach into groups: alice can still talk to bob there.
    const shared = await group(alice!, [bob!]);
    expect((await send(aliceSocket, shared.id, 'in the group')).text).toBe('in the group');

    const selfBlock = await cluster.http(1, 'POST', `/api/users/${bob!.id}/block`, {
      token: bob!.token,
    });
    expect(selfBlock.status).toBe(400);
    const ghostBlock = await cluster.http(1, 'POST', '/api/users/0123456789abcdef01234567/block', {
      token: bob!.token,
    });
    expect(ghostBlock.status).toBe(404);

    const unblock = await cluster.http(1, 'DELETE', `/api/users/${alice!.id}/block`, {
      token: bob!.token,
    });
    expect(unblock.status).toBe(204);
    expect((await send(aliceSocket, existing.body.id, 'friends again')).text).toBe('friends again');
    const carolStill = await cluster.http(2, 'POST', '/api/conversations/direct', {
      token: carol!.token,
      body: { userId: bob!.id },
    });
    expect(carolStill.status).toBe(403);
  });

  it('GET /api/users/me/blocks: whom I blocked, newest first, the same on every node', async () => {
    const [alice, bob, carol] = await users(3);
    const blocksOf = async (user: TestUser, node: number) => {
      const res = await cluster.http<{ users: Array<{ id: string; username: string }> }>(
        node,
        'GET',
        '/api/users/me/blocks',
        { token: user.token },
      );
      expect(res.status).toBe(200);
      return res.body.users;
    };
    expect(await blocksOf(alice!, 0)).toEqual([]);
    for (const target of [bob!, carol!]) {
      const res = await cluster.http(0, 'POST', `/api/users/${target.id}/block`, {
        token: alice!.token,
      });
      expect(res.status).toBe(204);
    }
    // Blocking twice is one block.
    await cluster.http(1, 'POST', `/api/users/${bob!.id}/block`, { token: alice!.token });
    const listed = await blocksOf(alice!, 2);
    expect(listed.map((u) => u.id)).toEqual([carol!.id, bob!.id]);
    expect(listed[0]).toMatchObject({ username: carol!.username });
    // Only one's own: being blocked is not listed, and nobody reads another user's list.
    expect(await blocksOf(bob!, 1)).toEqual([]);
    await cluster.http(1, 'DELETE', `/api/users/${carol!.id}/block`, { token: alice!.token });
    expect((await blocksOf(alice!, 0)).map((u) => u.id)).toEqual([bob!.id]);
    const anonymous = await cluster.http(0, 'GET', '/api/users/me/blocks');
    expect(anonymous.status).toBe(401);
  });
});

describe('conversation list', () => {
  it("ordered by last activity with lastMessage and the caller's unreadCount", async () => {
    const [alice, bob, carol, dave] = await users(4);
    const aliceSocket = await cluster.connect(alice!, 0);
    const withBob = (
      await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
        token: alice!.token,
        body: { userId: bob!.id },
      })
    ).body;
    const withCarol = (
      await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
        token: alice!.token,
        body: { userId: carol!.id },
      })
    ).body;
    const team = await group(alice!, [bob!, dave!], 'team');

    const m1 = await send(aliceSocket, withBob.id, 'first to bob');
    const m2 = await send(aliceSocket, withBob.id, 'second to bob');
    const bobSocket = await cluster.connect(bob!, 1);
    const m3 = await send(bobSocket, team.id, 'bob in team');

    // Lists order by activity and show previews as written behind: let them land everywhere.
    await cluster.settle();
    const list = await cluster.http<{ conversations: Conversation[]; nextCursor?: string }>(
      1,
      'GET',
      '/api/conversations',
      { token: bob!.token },
    );
    expect(list.status).toBe(200);
    expect(list.body.conversations.map((c) => c.id)).toEqual([team.id, withBob.id]);
    expect(list.body.nextCursor).toBeUndefined();
    const [teamView, bobView] = list.body.conversations;
    expect(teamView).toMatchObject({ seq: 1, readSeq: 1, unreadCount: 0 });
    expect(teamView!.lastMessage).toMatchObject({
      id: m3.id,
      seq: 1,
      senderId: bob!.id,
      text: 'bob in team',
    });
    expect(bobView).toMatchObject({ seq: 2, readSeq: 0, unreadCount: 2 });
    expect(bobView!.lastMessage).toMatchObject({ id: m2.id, seq: m2.seq, text: 'second to bob' });
    expect(m1.seq).toBe(1);

    // Reading moves bob's unread count; a new message moves the conversation to the top.
    const read = await ack<{ readSeq: number }>(bobSocket, 'conversation:read', {
      conversationId: withBob.id,
      seq: 1,
    });
    expect(read.readSeq).toBe(1);
    await send(aliceSocket, withCarol.id, 'carol, quick one');
    const m5 = await send(aliceSocket, withBob.id, 'third to bob');
    await cluster.settle();
    const again = await cluster.http<{ conversations: Conversation[] }>(
      2,
      'GET',
      '/api/conversations',
      { token: bob!.token },
    );
    expect(again.body.conversations.map((c) => c.id)).toEqual([withBob.id, team.id]);
    expect(again.body.conversations[0]).toMatchObject({ seq: 3, readSeq: 1, unreadCount: 2 });
    expect(again.body.conversations[0]!.lastMessage?.id).toBe(m5.id);

    const aliceList = await cluster.http<{ conversations: Conversation[] }>(
      0,
      'GET',
      '/api/conversations',
      { token: alice!.token },
    );
    expect(aliceList.body.conversations.map((c) => c.id)).toEqual([
      withBob.id,
      withCarol.id,
      team.id,
    ]);
    expect(aliceList.body.conversations.map((c) => c.unreadCount)).toEqual([0, 0, 1]);
  });

  it('cursor pagination: limit=2 → nextCursor → next page, no duplicates, nothing missed', async () => {
    const [alice, ...others] = await users(6, 'pg');
    const aliceSocket = await cluster.connect(alice!, 0);
    const ids: string[] = [];
    for (const other of others) {
      const res = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
        token: alice!.token,
        body: { userId: other!.id },
      });
      ids.push(res.body.id);
    }
    ids.push((await group(alice!, others.slice(0, 2) as TestUser[])).id);
    // Activity in a known order: the conversation written last comes first.
    for (const id of [ids[3]!, ids[0]!, ids[5]!]) await send(aliceSocket, id, `bump ${id}`);
    const expected = [ids[5]!, ids[0]!, ids[3]!, ...[ids[4]!, ids[2]!, ids[1]!]];
    // The group (ids[5]) is bumped, the others untouched keep creation order, newest first.
    await cluster.settle();

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await cluster.http<{ conversations: Conversation[]; nextCursor?: string }>(
        pages % 3,
        'GET',
        `/api/conversations${query}`,
        {
          token: alice!.token,
        },
      );
      expect(page.status).toBe(200);
      expect(page.body.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.conversations.map((c) => c.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect(pages).toBe(3);

    const bad = await cluster.http<{ error: ErrorBody }>(
      0,
      'GET',
      '/api/conversations?cursor=garbage',
      { token: alice!.token },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('users', () => {
  it('search by username or displayName prefix, case-insensitive, limited', async () => {
    const prefix = `srch${run}`;
    const made: TestUser[] = [];
    for (let i = 0; i < 3; i++) made.push(await cluster.register(`${prefix}_${i}`));
    const named = await cluster.http<{ user: { id: string } }>(1, 'POST', '/api/auth/register', {
      body: { username: fresh('dn'), password: 'long enough pw', displayName: `Zebra ${run}` },
    });
    const [alice] = await users(1);

    const res = await cluster.http<{ users: Array<{ id: string; username: string }> }>(
      0,
      'GET',
      `/api/users?query=${prefix.toUpperCase()}`,
      {
        token: alice!.token,
      },
    );
    expect(res.status).toBe(200);
    expect(res.body.users.map((u) => u.username).sort()).toEqual(
      made.map((u) => u.username).sort(),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash/i);
    const limited = await cluster.http<{ users: unknown[] }>(
      1,
      'GET',
      `/api/users?query=${prefix}&limit=2`,
      { token: alice!.token },
    );
    expect(limited.body.users).toHaveLength(2);
    const byDisplayName = await cluster.http<{ users: Array<{ id: string }> }>(
      2,
      'GET',
      `/api/users?query=${encodeURIComponent(`zebra ${run}`)}`,
      {
        token: alice!.token,
      },
    );
    expect(byDisplayName.body.users.map((u) => u.id)).toEqual([named.body.user.id]);
    const none = await cluster.http<{ users: unknown[] }>(
      0,
      'GET',
      `/api/users?query=${prefix}_9`,
      { token: alice!.token },
    );
    expect(none.body.users).toEqual([]);
    const unauth = await cluster.http(0, 'GET', `/api/users?query=${prefix}`);
    expect(unauth.status).toBe(401);
  });

  it('GET /api/users/:id returns the user with presence; unknown id → 404', async () => {
    const [alice, bob] = await users(2);
    const res = await cluster.http<{
      id: string;
      username: string;
      presence: { online: boolean; lastSeen?: string };
    }>(1, 'GET', `/api/users/${bob!.id}`, {
      token: alice!.token,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: bob!.id,
      username: bob!.username,
      presence: { online: false },
    });
    const ghost = await cluster.http<{ error: ErrorBody }>(
      1,
      'GET',
      '/api/users/0123456789abcdef01234567',
      { token: alice!.token },
    );
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.code).toBe('NOT_FOUND');
  });

  // The gateway does not wire a PresenceReader into the users service yet (issue 4), so
  // `online` is always false; this documents what the route must do once it is wired.
  it.todo(
    'GET /api/users/:id shows presence.online = true while the user holds a socket on any node',
  );
});
