import { waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { ack, useTestCluster, type ClientSocket, type TestUser } from './fixtures/cluster.js';

// Bad input on every socket event and HTTP route: it must be refused by the validator
// (VALIDATION_FAILED naming the fields) before any Redis/Mongo work, must never break the
// socket, and must never leak another conversation's data.

interface ErrorBody {
  code: string;
  message: string;
  details?: { fields?: Array<{ path: string; message: string }> };
}
interface Message {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  text?: string;
}

const cluster = useTestCluster({ nodes: 2 });
let counter = 0;
const run = Date.now().toString(36);
const fresh = (prefix: string): string => `${prefix}_${run}_${counter++}`;
let clientMsg = 0;
const cmid = (): string => `v-${run}-${clientMsg++}`;

/** Two fresh users sharing a direct conversation; alice is connected on node 0. */
async function pair(): Promise<{
  alice: TestUser;
  bob: TestUser;
  conversationId: string;
  socket: ClientSocket;
}> {
  const alice = await cluster.register(fresh('va'));
  const bob = await cluster.register(fresh('vb'), 1);
  const res = await cluster.http<{ id: string }>(0, 'POST', '/api/conversations/direct', {
    token: alice.token,
    body: { userId: bob.id },
  });
  expect(res.status).toBe(201);
  const socket = await cluster.connect(alice, 0);
  return { alice, bob, conversationId: res.body.id, socket };
}

async function expectSocketStillWorks(socket: ClientSocket, conversationId: string): Promise<void> {
  const res = await ack<{ message: Message }>(socket, 'message:send', {
    conversationId,
    clientMsgId: cmid(),
    text: 'still fine',
  });
  expect(res.ok).toBe(true);
  expect(res.message.text).toBe('still fine');
}

function expectValidationFailed(
  res: { ok: boolean; error?: ErrorBody | { code: string } },
  fieldPath?: string,
): void {
  expect(res.ok).toBe(false);
  const error = res.error as ErrorBody;
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(Array.isArray(error.details?.fields)).toBe(true);
  expect(error.details?.fields?.length).toBeGreaterThan(0);
  if (fieldPath) expect(error.details?.fields?.map((f) => f.path)).toContain(fieldPath);
}

const ZERO_ID = '000000000000000000000000';

describe('socket payload validation', () => {
  // Bad payload per event; a valid one of each event is built from `validOf`.
  const events = [
    'message:send',
    'message:history',
    'conversation:read',
    'conversation:delivered',
    'sync',
    'auth:renew',
  ] as const;
  type EventName = (typeof events)[number];
  function validOf(
    event: EventName,
    conversationId: string,
    token: string,
  ): Record<string, unknown> {
    switch (event) {
      case 'message:send':
        return { conversationId, clientMsgId: cmid(), text: 'hi' };
      case 'message:history':
        return { conversationId };
      case 'conversation:read':
      case 'conversation:delivered':
        return { conversationId, seq: 0 };
      case 'sync':
        return { cursors: [{ conversationId, seq: 0 }] };
      case 'auth:renew':
        return { token };
    }
  }

  it.each(events)(
    '%s: non-object payloads (string, number, array, null, missing) → VALIDATION_FAILED',
    async (event) => {
      const { alice, conversationId, socket } = await pair();
      for (const payload of [
        'hello',
        42,
        [validOf(event, conversationId, alice.token)],
        null,
        true,
      ]) {
        expectValidationFailed(await ack(socket, event, payload), '/');
      }
      // No payload at all, only the ack callback.
      const emit = socket.timeout(10_000).emitWithAck as unknown as (
        e: string,
      ) => Promise<{ ok: boolean; error?: ErrorBody }>;
      expectValidationFailed(await emit.call(socket.timeout(10_000), event), '/');
      // The same event with a valid payload still works on the same socket.
      const ok = await ack(socket, event, validOf(event, conversationId, alice.token));
      expect(ok.ok).toBe(true);
      await expectSocketStillWorks(socket, conversationId);
    },
  );

  it.each(events)(
    '%s: unknown fields and "$"/__proto__ keys → VALIDATION_FAILED',
    async (event) => {
      const { alice, conversationId, socket } = await pair();
      const valid = validOf(event, conversationId, alice.token);
      expectValidationFailed(await ack(socket, event, { ...valid, extra: 1 }), '/extra');
      expectValidationFailed(
        await ack(socket, event, { ...valid, $where: 'sleep(1000)' }),
        '/$where',
      );
      // JSON.parse creates an own "__proto__" key (an object literal would set the prototype instead).
      const polluted = JSON.parse(`{"__proto__": {"admin": true}}`) as Record<string, unknown>;
      expectValidationFailed(
        await ack(socket, event, Object.assign(polluted, valid)),
        '/__proto__',
      );
      await expectSocketStillWorks(socket, conversationId);
    },
  );

  // Which field each bad payload names is checked against the schemas in protocol's unit tests
  // (payload-cases.test.ts); here, that the server runs those validators, for a sample.
  it('operator objects and wrong types are refused naming the field, before any work', async () => {
    const { conversationId, socket } = await pair();
    const cases: Array<[string, unknown, string]> = [
      ['message:send', { conversationId: { $ne: 1 }, clientMsgId: cmid(), text: 'x' }, '$ne'],
      ['sync', { cursors: [{ conversationId: { $gt: '' }, seq: 0 }] }, '$gt'],
      [
        'message:send',
        { conversationId: 'not-an-id', clientMsgId: cmid(), text: 'x' },
        '/conversationId',
      ],
      ['conversation:read', { conversationId, seq: 1.5 }, '/seq'],
      ['message:history', { conversationId, limit: 101 }, '/limit'],
    ];
    for (const [event, payload, named] of cases) {
      const res = await ack(socket, event, payload);
      expectValidationFailed(res);
      const paths = (res.error as ErrorBody).details?.fields?.map((f) => f.path) ?? [];
      expect(
        paths.some((p) => p.includes(named)),
        `${event}: ${paths.join(',')}`,
      ).toBe(true);
    }
    // Nothing was stored by the refused sends, and the socket still works.
    await expectSocketStillWorks(socket, conversationId);
    const history = await ack<{ messages: Message[] }>(socket, 'message:history', {
      conversationId,
    });
    expect(history.messages.map((m) => m.text)).toEqual(['still fine']);
  });

  it('text: 4001 chars → PAYLOAD_TOO_LARGE, whitespace-only → VALIDATION_FAILED, 4000 chars ok', async () => {
    const { conversationId, socket } = await pair();
    const big = await ack(socket, 'message:send', {
      conversationId,
      clientMsgId: cmid(),
      text: 'a'.repeat(4001),
    });
    expect(big.ok).toBe(false);
    expect(big.error?.code).toBe('PAYLOAD_TOO_LARGE');
    const blank = await ack(socket, 'message:send', {
      conversationId,
      clientMsgId: cmid(),
      text: ' \n\t  ',
    });
    expect(blank.ok).toBe(false);
    expect(blank.error?.code).toBe('VALIDATION_FAILED');
    expect((blank.error as ErrorBody).details?.fields?.map((f) => f.path)).toContain('/text');
    const none = await ack(socket, 'message:send', { conversationId, clientMsgId: cmid() });
    expect(none.error?.code).toBe('VALIDATION_FAILED');
    const max = await ack<{ message: Message }>(socket, 'message:send', {
      conversationId,
      clientMsgId: cmid(),
      text: 'b'.repeat(4000),
    });
    expect(max.ok).toBe(true);
    expect(max.message.text).toHaveLength(4000);
    // Nothing of the refused sends was stored: only the 4000-char message is in history.
    const history = await ack<{ messages: Message[] }>(socket, 'message:history', {
      conversationId,
    });
    expect(history.messages.map((m) => m.text?.length)).toEqual([4000]);
  });

  it('a client-supplied senderId/userId is ignored: the stored sender is the authenticated user', async () => {
    const { alice, bob, conversationId, socket } = await pair();
    const res = await ack<{ message: Message }>(socket, 'message:send', {
      conversationId,
      clientMsgId: cmid(),
      text: 'from alice',
      senderId: bob.id,
      userId: bob.id,
    });
    expect(res.ok).toBe(true);
    expect(res.message.senderId).toBe(alice.id);
    const http = await cluster.http<Message>(
      1,
      'POST',
      `/api/conversations/${conversationId}/messages`,
      {
        token: alice.token,
        body: { clientMsgId: cmid(), text: 'via http', senderId: bob.id },
      },
    );
    expect(http.status).toBe(201);
    expect(http.body.senderId).toBe(alice.id);
    const history = await cluster.http<{ messages: Message[] }>(
      1,
      'GET',
      `/api/conversations/${conversationId}/messages`,
      {
        token: bob.token,
      },
    );
    expect(history.body.messages.map((m) => m.senderId)).toEqual([alice.id, alice.id]);
  });

  it('an ack-less failing request gets an `error` event { event, code, message }', async () => {
    const { conversationId, socket } = await pair();
    const errors: Array<{ event: string; code: string; message: string }> = [];
    (
      socket.on as (
        e: string,
        l: (p: { event: string; code: string; message: string }) => void,
      ) => void
    )('error', (p) => errors.push(p));
    const next = waitForEvent<{ event: string; code: string; message: string }>(socket, 'error');
    (socket.emit as (e: string, p: unknown) => void)('message:send', {
      conversationId: { $ne: 1 },
      text: 'x',
    });
    const error = await next;
    expect(error).toMatchObject({ event: 'message:send', code: 'VALIDATION_FAILED' });
    expect(typeof error.message).toBe('string');

    const notFound = waitForEvent<{ event: string; code: string }>(socket, 'error', {
      filter: (e) => e.event === 'message:history',
    });
    (socket.emit as (e: string, p: unknown) => void)('message:history', {
      conversationId: ZERO_ID,
    });
    expect((await notFound).code).toBe('NOT_FOUND');
    await expectSocketStillWorks(socket, conversationId);
    expect(errors).toHaveLength(2);
  });

  it('a non-member gets NOT_FOUND for send/history/read/delivered and never any data', async () => {
    const { conversationId, socket } = await pair();
    await expectSocketStillWorks(socket, conversationId);
    const mallory = await cluster.register(fresh('vm'));
    const evil = await cluster.connect(mallory, 1);
    const leaked: unknown[] = [];
    evil.onAny((event: string, payload: unknown) => {
      if (event !== 'session') leaked.push({ event, payload });
    });
    const cases: Array<[string, unknown]> = [
      ['message:send', { conversationId, clientMsgId: cmid(), text: 'intrusion' }],
      ['message:history', { conversationId }],
      ['message:history', { conversationId, after: 0 }],
      ['conversation:read', { conversationId, seq: 1 }],
      ['conversation:delivered', { conversationId, seq: 1 }],
    ];
    for (const [event, payload] of cases) {
      const res = await ack(evil, event, payload);
      expect(res.ok, event).toBe(false);
      expect(['NOT_FOUND', 'FORBIDDEN'], event).toContain(res.error?.code);
      expect(Object.keys(res).sort()).toEqual(['error', 'ok']);
    }
    // sync names the conversation as not (or no longer) ours, with no messages.
    const sync = await ack<{
      conversations: Array<{ conversationId: string }>;
      changed: Array<{ id: string }>;
      removed?: string[];
    }>(evil, 'sync', { cursors: [{ conversationId, seq: 0 }] });
    expect(sync.ok).toBe(true);
    expect(sync.conversations).toEqual([]);
    expect(sync.changed.map((c) => c.id)).not.toContain(conversationId);
    expect(JSON.stringify(sync)).not.toContain('still fine');

    // Over HTTP too.
    for (const [method, path, body] of [
      ['GET', `/api/conversations/${conversationId}`, undefined],
      ['GET', `/api/conversations/${conversationId}/messages`, undefined],
      ['GET', `/api/conversations/${conversationId}/messages/search?q=still`, undefined],
      [
        'POST',
        `/api/conversations/${conversationId}/messages`,
        { clientMsgId: cmid(), text: 'intrusion' },
      ],
    ] as const) {
      const res = await cluster.http<{ error: ErrorBody }>(0, method, path, {
        token: mallory.token,
        body,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    // The intrusion was never stored and alice's socket still works.
    const history = await ack<{ messages: Message[] }>(socket, 'message:history', {
      conversationId,
    });
    expect(history.messages.map((m) => m.text)).toEqual(['still fine']);
    // Alice's traffic never reached the outsider's socket.
    await expectSocketStillWorks(socket, conversationId);
    const probe = await ack(evil, 'sync', { cursors: [] });
    expect(probe.ok).toBe(true);
    expect(leaked).toEqual([]);
  });
});

describe('HTTP validation', () => {
  async function expectHttpValidation(
    res: { status: number; body: { error: ErrorBody } },
    path?: string,
  ): Promise<void> {
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details?.fields?.length).toBeGreaterThan(0);
    if (path) expect(res.body.error.details?.fields?.map((f) => f.path)).toContain(path);
  }

  it('POST /api/conversations/:id/messages: operators, types, unknown fields, sizes, non-objects, bad ids', async () => {
    const { alice, conversationId } = await pair();
    const url = `/api/conversations/${conversationId}/messages`;
    const post = (body: unknown, path = url) =>
      cluster.http<{ error: ErrorBody }>(0, 'POST', path, { token: alice.token, body });
    await expectHttpValidation(
      await post({ clientMsgId: { $gt: '' }, text: 'x' }),
      '/clientMsgId/$gt',
    );
    await expectHttpValidation(
      await post({ clientMsgId: cmid(), text: 'x', replyToId: { $ne: 1 } }),
    );
    await expectHttpValidation(
      await post({ clientMsgId: cmid(), text: 'x', extra: true }),
      '/extra',
    );
    await expectHttpValidation(await post({ clientMsgId: cmid(), text: ['x'] }), '/text');
    await expectHttpValidation(await post({ clientMsgId: cmid(), text: '   ' }), '/text');
    // fastify's JSON parser refuses a __proto__ key itself (onProtoPoisoning: 'error'), so no field path here.
    const proto = await fetch(`${cluster.nodes[0]!.url}${url}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body: `{"__proto__": {"x": 1}, "clientMsgId": "a", "text": "b"}`,
    });
    expect(proto.status).toBe(400);
    expect(((await proto.json()) as { error: ErrorBody }).error.code).toBe('VALIDATION_FAILED');
    for (const body of ['text', 7, [{ clientMsgId: cmid(), text: 'x' }], null])
      await expectHttpValidation(await post(body));
    await expectHttpValidation(
      await post({ clientMsgId: cmid(), text: 'x' }, '/api/conversations/nope/messages'),
      '/id',
    );
    const big = await post({ clientMsgId: cmid(), text: 'z'.repeat(4001) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const history = await cluster.http<{ messages: Message[] }>(0, 'GET', url, {
      token: alice.token,
    });
    expect(history.body.messages).toEqual([]);
  });

  it('conversation routes: direct, group, PATCH and members refuse bad bodies and change nothing', async () => {
    const { alice, bob, conversationId } = await pair();
    const created = await cluster
      .as(alice)
      .post<{ id: string }>('/api/conversations/group', { title: 'ok', memberIds: [bob.id] });
    expect(created.status).toBe(201);
    const group = `/api/conversations/${created.body.id}`;
    const direct = '/api/conversations/direct';
    const newGroup = '/api/conversations/group';
    // [method, path, body, the field the refusal names (when the schema names one)]
    const cases: Array<[string, string, unknown, string?]> = [
      ['POST', direct, { userId: { $ne: null } }, '/userId/$ne'],
      ['POST', direct, { userId: 'abc' }, '/userId'],
      ['POST', direct, { userId: bob.id, role: 'owner' }, '/role'],
      ['POST', direct, [bob.id]],
      ['POST', direct, {}, '/userId'],
      ['POST', direct, { userId: alice.id }, '/userId'],
      ['POST', newGroup, { title: 'g', memberIds: [{ $gt: '' }] }],
      ['POST', newGroup, { title: 5, memberIds: [] }, '/title'],
      ['POST', newGroup, { title: '   ', memberIds: [] }, '/title'],
      ['POST', newGroup, { title: 'g', memberIds: bob.id }, '/memberIds'],
      ['POST', newGroup, { title: 'g', memberIds: [], createdBy: bob.id }, '/createdBy'],
      ['PATCH', group, {}],
      ['PATCH', group, { title: { $set: 'x' } }],
      ['PATCH', group, { title: 'x', type: 'direct' }, '/type'],
      ['PATCH', group, { avatarUrl: 'javascript:alert(1)' }, '/avatarUrl'],
      ['PATCH', '/api/conversations/xyz', { title: 'x' }, '/id'],
      ['POST', `${group}/members`, { userIds: [] }, '/userIds'],
      ['POST', `${group}/members`, { userIds: [{ $ne: 1 }] }],
      ['POST', `${group}/members`, { userIds: [bob.id, bob.id] }, '/userIds'],
      ['PATCH', `${group}/members/${bob.id}`, { role: 'owner' }, '/role'],
      ['PATCH', `${group}/members/nope`, { role: 'admin' }, '/userId'],
      ['DELETE', `${group}/members/nope`, undefined],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await cluster.http<{ error: ErrorBody }>(0, method, path, {
        token: alice.token,
        body,
      });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      await expectHttpValidation(res, field);
    }
    // Nothing changed: the group is as created, the direct conversation untouched.
    const after = await cluster.as(alice).get<{
      title: string;
      members: Array<{ userId: string; role: string }>;
    }>(group);
    expect(after.body.title).toBe('ok');
    expect(after.body.members.map((m) => [m.userId, m.role]).sort()).toEqual(
      [
        [alice.id, 'owner'],
        [bob.id, 'member'],
      ].sort(),
    );
    expect((await cluster.as(alice).get(`/api/conversations/${conversationId}`)).status).toBe(200);
  });

  it('users search: bad query strings are refused, a "$" prefix is treated as text', async () => {
    const { alice } = await pair();
    const get = (path: string) =>
      cluster.http<{ error: ErrorBody; users?: unknown[] }>(0, 'GET', path, { token: alice.token });
    await expectHttpValidation(await get('/api/users'), '/query');
    await expectHttpValidation(await get('/api/users?query=a&limit=0'), '/limit');
    await expectHttpValidation(await get('/api/users?query=a&limit=lots'), '/limit');
    await expectHttpValidation(await get('/api/users?query=a&isAdmin=1'), '/isAdmin');
    await expectHttpValidation(await get(`/api/users?query=${'q'.repeat(200)}`), '/query');
    // Regex metacharacters and operators in the text must not widen the search.
    for (const q of ['.*', '$ne', '^', '[a-z]']) {
      const res = await get(`/api/users?query=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(res.body.users, q).toEqual([]);
    }
    await expectHttpValidation(await get('/api/users/not-an-id'), '/id');
  });

  it('unknown route → 404 NOT_FOUND; malformed JSON → 400 VALIDATION_FAILED', async () => {
    const { alice, conversationId } = await pair();
    const unknown = await cluster.http<{ error: ErrorBody }>(0, 'GET', '/api/nothing-here', {
      token: alice.token,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const unknownNoAuth = await cluster.http<{ error: ErrorBody }>(1, 'POST', '/nope');
    expect(unknownNoAuth.status).toBe(404);
    expect(unknownNoAuth.body.error.code).toBe('NOT_FOUND');

    for (const raw of ['{"clientMsgId": "a", "text": ', '{bad json}', '']) {
      const res = await fetch(
        `${cluster.nodes[0]!.url}/api/conversations/${conversationId}/messages`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
          body: raw,
        },
      );
      expect(res.status, JSON.stringify(raw)).toBe(400);
      const body = (await res.json()) as { error: ErrorBody };
      expect(body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});
