import type { Conversation, Message } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { expectError, people } from './fixtures/api.js';
import {
  ack,
  collect,
  createGroup,
  openDirect,
  sendText as send,
  useTestCluster,
  type ClientSocket,
  type TestUser,
} from './fixtures/cluster.js';

// Conversation management over HTTP with members' sockets on different nodes: every
// change must reach the right sockets cluster-wide, and every role rule must hold.

const cluster = useTestCluster({ nodes: 3 });

const GHOST_ID = '0123456789abcdef01234567';
type Conversations = { conversations: Conversation[]; nextCursor?: string };

const group = (owner: TestUser, members: TestUser[], title = 'team') =>
  createGroup(cluster, owner, members, 0, title);
const conversationPath = (c: Conversation) => `/api/conversations/${c.id}`;
const memberPath = (c: Conversation, u: TestUser) => `/api/conversations/${c.id}/members/${u.id}`;
const httpSend = (user: TestUser, c: Conversation, text: string, node = 0) =>
  cluster
    .as(user, node)
    .post<Message>(`${conversationPath(c)}/messages`, { clientMsgId: `c-${Math.random()}`, text });
const listOf = async (user: TestUser, node = 0) =>
  (await cluster.as(user, node).get<Conversations>('/api/conversations')).body.conversations;

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
const removedFrom = (socket: ClientSocket, conversationId: string) =>
  waitForEvent<{ conversationId: string }>(socket, 'conversation:removed', {
    filter: (e) => e.conversationId === conversationId,
  });

describe('groups', () => {
  it('create: caller is owner, members get conversation:updated on their nodes and can talk at once', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const bobSocket = await cluster.connect(bob, 1);
    const carolSocket = await cluster.connect(carol, 2);
    const bobSees = waitForEvent<{ conversation: Conversation }>(bobSocket, 'conversation:updated');
    const carolSees = waitForEvent<{ conversation: Conversation }>(
      carolSocket,
      'conversation:updated',
    );

    const created = await group(alice, [bob, carol, alice], 'Project X');
    expect(created).toMatchObject({
      type: 'group',
      title: 'Project X',
      seq: 0,
      readSeq: 0,
      unreadCount: 0,
    });
    expect(roles(created)).toEqual({
      [alice.id]: 'owner',
      [bob.id]: 'member',
      [carol.id]: 'member',
    });
    for (const m of created.members) expect(m.user.id).toBe(m.userId);
    expect(created.members.find((m) => m.userId === bob.id)?.user.username).toBe(bob.username);

    expect((await bobSees).conversation.id).toBe(created.id);
    expect((await carolSees).conversation.title).toBe('Project X');

    // No reconnect needed: carol (node 2) receives what bob (node 1) sends.
    const toCarol = waitForEvent<{ message: Message }>(carolSocket, 'message:new');
    const sent = await send(bobSocket, created.id, 'hello team');
    expect((await toCarol).message.id).toBe(sent.id);

    // Unread counts are current on every node at once; the preview once written behind.
    await cluster.settle();
    const get = await cluster.as(carol, 2).get<Conversation>(conversationPath(created));
    expect(get.status).toBe(200);
    expect(get.body).toMatchObject({ id: created.id, seq: 1, readSeq: 0, unreadCount: 1 });
    expect(get.body.lastMessage).toMatchObject({
      id: sent.id,
      seq: 1,
      senderId: bob.id,
      text: 'hello team',
    });
  });

  it.each([
    { refused: 'an unknown member id', body: { title: 't', memberIds: [GHOST_ID] }, status: 404 },
    { refused: 'a blank title', body: { title: '   ', memberIds: [] }, status: 400 },
  ])('create refuses $refused ($status) and creates nothing', async ({ body, status }) => {
    const { alice } = await people(cluster, 'alice');
    const res = await cluster.as(alice).post('/api/conversations/group', body);
    expectError(res, status, status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED');
    expect(await listOf(alice)).toEqual([]);
  });

  it('rename: owner and admin may, a member gets 403; members see the new title', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const conv = await group(alice, [bob, carol], 'before');
    const carolSocket = await cluster.connect(carol, 2);

    expectError(
      await cluster.as(bob, 1).patch(conversationPath(conv), { title: 'hijacked' }),
      403,
      'FORBIDDEN',
    );

    const renamed = updatedFor(carolSocket, conv.id, (c) => c.title === 'after');
    const byOwner = await cluster.as(alice).patch<Conversation>(conversationPath(conv), {
      title: 'after',
      avatarUrl: 'https://example.com/a.png',
    });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toMatchObject({ title: 'after', avatarUrl: 'https://example.com/a.png' });
    expect((await renamed).conversation.avatarUrl).toBe('https://example.com/a.png');

    expect((await cluster.as(alice).patch(memberPath(conv, bob), { role: 'admin' })).status).toBe(
      200,
    );
    const byAdmin = await cluster
      .as(bob, 1)
      .patch<Conversation>(conversationPath(conv), { title: 'by admin' });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.title).toBe('by admin');
    const seen = await cluster.as(carol, 2).get<Conversation>(conversationPath(conv));
    expect(seen.body.title).toBe('by admin');
  });

  it('a direct conversation cannot be renamed, given members or left', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const direct = await openDirect(cluster, alice, bob);
    const as = cluster.as(alice);
    for (const refused of [
      as.patch(conversationPath(direct), { title: 'x' }),
      as.post(`${conversationPath(direct)}/members`, { userIds: [carol.id] }),
      as.delete(memberPath(direct, alice)),
    ])
      expectError(await refused, 403);
    const get = await cluster.as(bob, 1).get<Conversation>(conversationPath(direct));
    expect(get.body.members.map((m) => m.userId).sort()).toEqual([alice.id, bob.id].sort());
    expect(get.body.title).toBeUndefined();
  });

  it('add members: owner/admin only; the added user starts receiving without reconnecting, caught up', async () => {
    const { alice, bob, carol, dave, erin } = await people(
      cluster,
      'alice',
      'bob',
      'carol',
      'dave',
      'erin',
    );
    const conv = await group(alice, [bob, carol]);
    const membersPath = `${conversationPath(conv)}/members`;
    const aliceSocket = await cluster.connect(alice, 0);
    await send(aliceSocket, conv.id, 'before dave');
    const daveSocket = await cluster.connect(dave, 2);

    for (const [who, actor, userId, status] of [
      ['a member', bob, dave.id, 403],
      ['an outsider', erin, erin.id, 404],
      ['the owner, for an unknown user', alice, GHOST_ID, 404],
    ] as const) {
      const res = await cluster.as(actor, 1).post(membersPath, { userIds: [userId] });
      expect(res.status, who).toBe(status);
    }

    const daveJoined = updatedFor(daveSocket, conv.id);
    const added = await cluster.as(alice).post<Conversation>(membersPath, { userIds: [dave.id] });
    expect(added.status).toBe(200);
    expect(roles(added.body)[dave.id]).toBe('member');
    const daveView = (await daveJoined).conversation;
    expect(daveView.unreadCount).toBe(0);
    expect(daveView.readSeq).toBe(1);

    const toDave = waitForEvent<{ message: Message }>(daveSocket, 'message:new');
    const sent = await send(aliceSocket, conv.id, 'welcome dave');
    expect((await toDave).message.id).toBe(sent.id);

    // An admin may add too.
    await cluster.as(alice).patch(memberPath(conv, carol), { role: 'admin' });
    const byAdmin = await cluster.as(carol, 2).post<Conversation>(membersPath, {
      userIds: [erin.id],
    });
    expect(byAdmin.status).toBe(200);
    expect(Object.keys(roles(byAdmin.body)).sort()).toEqual(
      [alice, bob, carol, dave, erin].map((u) => u.id).sort(),
    );
  });

  it('roles: only the owner changes them; the owner cannot demote itself', async () => {
    const { alice, bob, carol, outsider } = await people(
      cluster,
      'alice',
      'bob',
      'carol',
      'outsider',
    );
    const conv = await group(alice, [bob, carol]);
    const bobSocket = await cluster.connect(bob, 1);
    const bobPromoted = updatedFor(bobSocket, conv.id, (c) => roles(c)[bob.id] === 'admin');
    const promote = await cluster.as(alice).patch<Conversation>(memberPath(conv, bob), {
      role: 'admin',
    });
    expect(promote.status).toBe(200);
    expect(roles(promote.body)).toEqual({
      [alice.id]: 'owner',
      [bob.id]: 'admin',
      [carol.id]: 'member',
    });
    await bobPromoted;

    for (const [actor, target, role, status] of [
      [bob, carol, 'admin', 403], // an admin cannot promote
      [carol, bob, 'member', 403], // a member cannot demote
      [bob, alice, 'member', 403], // nobody demotes the owner
      [alice, alice, 'member', 403], // not even the owner itself
      [alice, outsider, 'admin', 404], // not a member
    ] as const) {
      const res = await cluster.as(actor, 1).patch(memberPath(conv, target), { role });
      expect(res.status, `${actor.username} makes ${target.username} ${role}`).toBe(status);
      if (status === 403) expect(res.body.error?.code).toBe('FORBIDDEN');
    }
    const demote = await cluster.as(alice).patch<Conversation>(memberPath(conv, bob), {
      role: 'member',
    });
    expect(roles(demote.body)).toEqual({
      [alice.id]: 'owner',
      [bob.id]: 'member',
      [carol.id]: 'member',
    });
  });

  it('remove member and leave: rules, conversation:removed to the removed user, events stop at once', async () => {
    const { alice, bob, carol, dave } = await people(cluster, 'alice', 'bob', 'carol', 'dave');
    const conv = await group(alice, [bob, carol, dave]);
    const aliceSocket = await cluster.connect(alice, 0);
    const carolSocket = await cluster.connect(carol, 2);
    // dave shares carol's node: when dave has a broadcast, carol's copy was due in the same pass.
    const daveSocket = await cluster.connect(dave, 2);
    const carolMessages = collect<{ message: Message }>(carolSocket, 'message:new');
    const daveMessages = collect<{ message: Message }>(daveSocket, 'message:new');

    expectError(await cluster.as(bob, 1).delete(memberPath(conv, carol)), 403);
    await cluster.as(alice).patch(memberPath(conv, bob), { role: 'admin' });
    // An admin removes members, never the owner.
    expectError(await cluster.as(bob, 1).delete(memberPath(conv, alice)), 403);

    const carolRemoved = removedFrom(carolSocket, conv.id);
    const aliceUpdated = updatedFor(
      aliceSocket,
      conv.id,
      (c) => !c.members.some((m) => m.userId === carol.id),
    );
    expect((await cluster.as(bob, 1).delete(memberPath(conv, carol))).status).toBe(204);
    await carolRemoved;
    await aliceUpdated;

    const after = await send(aliceSocket, conv.id, 'carol is gone');
    await waitFor(() => daveMessages.some((e) => e.message.id === after.id), {
      timeout: 5000,
      message: 'dave got the message',
    });
    expect(carolMessages.map((e) => e.message.id)).not.toContain(after.id);
    expect((await cluster.as(carol, 2).get(conversationPath(conv))).status).toBe(404);
    expect((await httpSend(carol, conv, 'let me back', 2)).status).toBe(404);
    expect((await cluster.as(bob, 1).delete(memberPath(conv, carol))).status).toBe(404);

    // dave leaves by removing himself.
    const daveRemoved = removedFrom(daveSocket, conv.id);
    expect((await cluster.as(dave, 2).delete(memberPath(conv, dave))).status).toBe(204);
    await daveRemoved;
    const members = await cluster.as(alice).get<Conversation>(conversationPath(conv));
    expect(roles(members.body)).toEqual({ [alice.id]: 'owner', [bob.id]: 'admin' });
    expect((await listOf(dave, 2)).map((c) => c.id)).not.toContain(conv.id);
  });

  it('owner closes the group: everyone gets conversation:removed, GET/history/send → 404', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const conv = await group(alice, [bob, carol]);
    const sockets = await Promise.all([alice, bob, carol].map((u, i) => cluster.connect(u, i)));
    const [aliceSocket, bobSocket, carolSocket] = sockets as [
      ClientSocket,
      ClientSocket,
      ClientSocket,
    ];
    await send(aliceSocket, conv.id, 'secret plans');

    expectError(await cluster.as(bob, 1).delete(conversationPath(conv)), 403);
    const removedEvents = sockets.map((s) => removedFrom(s, conv.id));
    expect((await cluster.as(alice).delete(conversationPath(conv))).status).toBe(204);
    await Promise.all(removedEvents);

    for (const [node, user] of [alice, bob, carol].entries()) {
      const as = cluster.as(user, node);
      expectError(await as.get(conversationPath(conv)), 404, 'NOT_FOUND');
      expect((await as.get(`${conversationPath(conv)}/messages`)).status).toBe(404);
      expect((await listOf(user, node)).map((c) => c.id)).not.toContain(conv.id);
    }
    const socketHistory = await ack(bobSocket, 'message:history', { conversationId: conv.id });
    expect(socketHistory.error?.code).toBe('NOT_FOUND');
    const socketSend = await ack(carolSocket, 'message:send', {
      conversationId: conv.id,
      clientMsgId: `c-${Math.random()}`,
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
    expect((await cluster.as(alice).delete(conversationPath(conv))).status).toBe(404);
  });
});

describe('direct conversations and blocking', () => {
  it('get-or-create: 201 then 200 with the same id, from either side and any node', async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    const open = (from: TestUser, to: string, node: number) =>
      cluster.as(from, node).post<Conversation>('/api/conversations/direct', { userId: to });
    const first = await open(alice, bob.id, 0);
    expect(first.status).toBe(201);
    expect(first.body.type).toBe('direct');
    expect(roles(first.body)).toEqual({ [alice.id]: 'member', [bob.id]: 'member' });
    for (const [from, to, node] of [
      [alice, bob, 1],
      [bob, alice, 2],
    ] as const) {
      const again = await open(from, to.id, node);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
    }
    expect((await open(alice, alice.id, 0)).status).toBe(400);
    expect((await open(alice, GHOST_ID, 0)).status).toBe(404);
  });

  it('block → FORBIDDEN for opening and for sending; unblock restores it', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    const existing = await openDirect(cluster, alice, bob);
    const aliceSocket = await cluster.connect(alice, 0);
    const asBob = cluster.as(bob, 1);

    // bob blocks alice and carol.
    for (const target of [alice, carol])
      expect((await asBob.post(`/api/users/${target.id}/block`)).status).toBe(204);
    for (const [who, node] of [
      [carol, 2],
      [alice, 0],
    ] as const) {
      const res = await cluster.as(who, node).post('/api/conversations/direct', { userId: bob.id });
      expectError(res, 403, 'FORBIDDEN');
    }

    const socketSend = await ack(aliceSocket, 'message:send', {
      conversationId: existing.id,
      clientMsgId: `c-${Math.random()}`,
      text: 'hi?',
    });
    expect(socketSend.ok).toBe(false);
    expect(socketSend.error?.code).toBe('FORBIDDEN');
    expectError(await httpSend(alice, existing, 'hello?', 2), 403, 'FORBIDDEN');
    const history = await asBob.get<{ messages: Message[] }>(
      `${conversationPath(existing)}/messages`,
    );
    expect(history.body.messages).toEqual([]);

    // Blocking does not reach into groups: alice can still talk to bob there.
    const shared = await group(alice, [bob]);
    expect((await send(aliceSocket, shared.id, 'in the group')).text).toBe('in the group');

    expect((await asBob.post(`/api/users/${bob.id}/block`)).status).toBe(400);
    expect((await asBob.post(`/api/users/${GHOST_ID}/block`)).status).toBe(404);

    expect((await asBob.delete(`/api/users/${alice.id}/block`)).status).toBe(204);
    expect((await send(aliceSocket, existing.id, 'friends again')).text).toBe('friends again');
    const carolStill = await cluster
      .as(carol, 2)
      .post('/api/conversations/direct', { userId: bob.id });
    expect(carolStill.status).toBe(403);
  });

  it('GET /api/users/me/blocks: whom I blocked, newest first, the same on every node', async () => {
    const { alice, bob, carol } = await people(cluster, 'alice', 'bob', 'carol');
    type Blocked = { users: Array<{ id: string; username: string }> };
    const blocksOf = async (user: TestUser, node: number) => {
      const res = await cluster.as(user, node).get<Blocked>('/api/users/me/blocks');
      expect(res.status).toBe(200);
      return res.body.users;
    };
    const asAlice = cluster.as(alice);
    expect(await blocksOf(alice, 0)).toEqual([]);
    for (const target of [bob, carol])
      expect((await asAlice.post(`/api/users/${target.id}/block`)).status).toBe(204);
    // Blocking twice is one block.
    await cluster.as(alice, 1).post(`/api/users/${bob.id}/block`);
    const listed = await blocksOf(alice, 2);
    expect(listed.map((u) => u.id)).toEqual([carol.id, bob.id]);
    expect(listed[0]).toMatchObject({ username: carol.username });
    // Only one's own: being blocked is not listed, and nobody reads another user's list.
    expect(await blocksOf(bob, 1)).toEqual([]);
    await cluster.as(alice, 1).delete(`/api/users/${carol.id}/block`);
    expect((await blocksOf(alice, 0)).map((u) => u.id)).toEqual([bob.id]);
    expect((await cluster.as(undefined).get('/api/users/me/blocks')).status).toBe(401);
  });
});

describe('conversation list', () => {
  it("ordered by last activity with lastMessage and the caller's unreadCount", async () => {
    const { alice, bob, carol, dave } = await people(cluster, 'alice', 'bob', 'carol', 'dave');
    const aliceSocket = await cluster.connect(alice, 0);
    const withBob = await openDirect(cluster, alice, bob);
    const withCarol = await openDirect(cluster, alice, carol);
    const team = await group(alice, [bob, dave], 'team');

    const m1 = await send(aliceSocket, withBob.id, 'first to bob');
    const m2 = await send(aliceSocket, withBob.id, 'second to bob');
    const bobSocket = await cluster.connect(bob, 1);
    const m3 = await send(bobSocket, team.id, 'bob in team');

    // Lists order by activity and show previews as written behind: let them land everywhere.
    await cluster.settle();
    const list = await cluster.as(bob, 1).get<Conversations>('/api/conversations');
    expect(list.status).toBe(200);
    expect(list.body.conversations.map((c) => c.id)).toEqual([team.id, withBob.id]);
    expect(list.body.nextCursor).toBeUndefined();
    const [teamView, bobView] = list.body.conversations;
    expect(teamView).toMatchObject({
      seq: 1,
      readSeq: 1,
      unreadCount: 0,
      lastMessage: { id: m3.id, seq: 1, senderId: bob.id, text: 'bob in team' },
    });
    expect(bobView).toMatchObject({
      seq: 2,
      readSeq: 0,
      unreadCount: 2,
      lastMessage: { id: m2.id, seq: m2.seq, text: 'second to bob' },
    });
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
    const again = await listOf(bob, 2);
    expect(again.map((c) => c.id)).toEqual([withBob.id, team.id]);
    expect(again[0]).toMatchObject({
      seq: 3,
      readSeq: 1,
      unreadCount: 2,
      lastMessage: { id: m5.id },
    });

    const aliceList = await listOf(alice);
    expect(aliceList.map((c) => c.id)).toEqual([withBob.id, withCarol.id, team.id]);
    expect(aliceList.map((c) => c.unreadCount)).toEqual([0, 0, 1]);
  });

  it('cursor pagination: limit=2 → nextCursor → next page, no duplicates, nothing missed', async () => {
    const { alice, ...rest } = await people(cluster, 'alice', 'p1', 'p2', 'p3', 'p4', 'p5');
    const others = Object.values(rest);
    const aliceSocket = await cluster.connect(alice, 0);
    const ids: string[] = [];
    for (const other of others) ids.push((await openDirect(cluster, alice, other)).id);
    ids.push((await group(alice, others.slice(0, 2))).id);
    // Activity in a known order: the conversation written last comes first. The group (the
    // last id) is bumped last; the untouched ones keep creation order, newest first.
    const [d1, d2, d3, d4, d5, team] = ids as [string, string, string, string, string, string];
    for (const id of [d4, d1, team]) await send(aliceSocket, id, `bump ${id}`);
    await cluster.settle();

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await cluster
        .as(alice, pages % 3)
        .get<Conversations>(`/api/conversations${query}`);
      expect(page.status).toBe(200);
      expect(page.body.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.conversations.map((c) => c.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([team, d1, d4, d5, d3, d2]);
    expect(pages).toBe(3);

    expectError(
      await cluster.as(alice).get('/api/conversations?cursor=garbage'),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('users', () => {
  it('search by username or displayName prefix, case-insensitive, limited', async () => {
    const prefix = `srch${Date.now().toString(36)}`;
    const made: TestUser[] = [];
    for (let i = 0; i < 3; i++) made.push(await cluster.register(`${prefix}_${i}`));
    const zebra = `Zebra ${prefix}`;
    const named = await cluster
      .as(undefined, 1)
      .post<{ user: { id: string } }>('/api/auth/register', {
        username: `dn${prefix}`,
        password: 'long enough pw',
        displayName: zebra,
      });
    const { alice } = await people(cluster, 'alice');
    type Found = { users: Array<{ id: string; username: string }> };
    const search = (query: string, node: number) =>
      cluster.as(alice, node).get<Found>(`/api/users?query=${encodeURIComponent(query)}`);

    const res = await search(prefix.toUpperCase(), 0);
    expect(res.status).toBe(200);
    expect(res.body.users.map((u) => u.username).sort()).toEqual(
      made.map((u) => u.username).sort(),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash/i);
    const limited = await cluster.as(alice, 1).get<Found>(`/api/users?query=${prefix}&limit=2`);
    expect(limited.body.users).toHaveLength(2);
    expect((await search(zebra.toLowerCase(), 2)).body.users.map((u) => u.id)).toEqual([
      named.body.user.id,
    ]);
    expect((await search(`${prefix}_9`, 0)).body.users).toEqual([]);
    expect((await cluster.as(undefined).get(`/api/users?query=${prefix}`)).status).toBe(401);
  });

  it('GET /api/users/:id returns the user with presence: online while a socket is open anywhere; unknown id → 404', async () => {
    const { alice, bob } = await people(cluster, 'alice', 'bob');
    type Profile = { id: string; username: string; presence: { online: boolean } };
    const profile = (node: number) => cluster.as(alice, node).get<Profile>(`/api/users/${bob.id}`);
    const offline = await profile(1);
    expect(offline.status).toBe(200);
    expect(offline.body).toMatchObject({
      id: bob.id,
      username: bob.username,
      presence: { online: false },
    });
    const socket = await cluster.connect(bob, 2);
    await waitFor(async () => (await profile(0)).body.presence.online, {
      timeout: 10_000,
      message: 'bob shows online on another node',
    });
    socket.disconnect();
    expectError(await cluster.as(alice, 1).get(`/api/users/${GHOST_ID}`), 404, 'NOT_FOUND');
  });
});
