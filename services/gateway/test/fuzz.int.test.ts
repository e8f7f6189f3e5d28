import { ClientEvents, ErrorCodes } from '@chat/protocol';
import fc from 'fast-check';
import { MongoClient, type Db } from 'mongodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestCluster, type ClientSocket, type TestUser } from './fixtures/cluster.js';

/**
 * Generated hostile input at every socket event and every HTTP route, through real nodes:
 * the process stays up, every answer is a coded error or a valid result, nothing internal
 * leaks, and a rejected request leaves Mongo exactly as it was.
 */

const SOCKET_RUNS = 60;
const HTTP_RUNS = 25;
const CODES = new Set<string>(Object.values(ErrorCodes));
/** What a stack trace, a driver error or a file path looks like in an answer. */
const LEAK =
  /\n\s+at |node_modules|\/work\/|\.ts:\d+|\.js:\d+|MongoServerError|MongoError|TypeError|ReferenceError|Cannot read prop|is not a function|ECONNREFUSED|ioredis/i;

const cluster = useTestCluster({ nodes: 2 });
let mongo: MongoClient;
let db: Db;
let alice: TestUser;
let bob: TestUser;
let socket: ClientSocket;
const ids: Record<string, string> = {};

beforeAll(async () => {
  mongo = await MongoClient.connect(cluster.mongo.url);
  db = mongo.db(cluster.mongo.databaseName);
  alice = await cluster.register(`fuzz_alice_${process.pid % 1000}`);
  bob = await cluster.register(`fuzz_bob_${process.pid % 1000}`);
  const group = await cluster.http<{ id: string }>(0, 'POST', '/api/conversations/group', {
    token: alice.token,
    body: { title: 'fuzz', memberIds: [bob.id] },
  });
  const message = await cluster.http<{ id: string }>(
    0,
    'POST',
    `/api/conversations/${group.body.id}/messages`,
    {
      token: alice.token,
      body: { clientMsgId: 'seed', text: 'seed' },
    },
  );
  Object.assign(ids, {
    conversation: group.body.id,
    message: message.body.id,
    alice: alice.id,
    bob: bob.id,
  });
  socket = await cluster.connect(alice, 1);
});
afterAll(async () => {
  await mongo?.close();
});

/** Every document of every collection, hashed: equal hashes = unchanged data. */
async function snapshot(): Promise<string> {
  // An accepted send's write-behind (preview, own cursor) may land during a later run: land
  // it first, so only what a rejected payload did shows as a change.
  await cluster.settle();
  const hash = createHash('sha256');
  const names = (await db.listCollections().toArray()).map((c) => c.name).sort();
  for (const name of names) {
    hash.update(`#${name}`);
    for (const doc of await db.collection(name).find({}).sort({ _id: 1 }).toArray())
      hash.update(JSON.stringify(doc));
  }
  return hash.digest('hex');
}

// ---- hostile values ------------------------------------------------------------------

const nest = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
};
const loneSurrogates = fc.constantFrom('\uD800', 'a\uDC00b', '\uDFFF\uD800', `x${'\uD83D'}`);
const oddIds = fc.constantFrom(
  '000000000000000000000000',
  'ffffffffffffffffffffffff',
  'zzzzzzzzzzzzzzzzzzzzzzzz',
  '',
  ' ',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '507f1f77bcf86cd79943901',
  '507f1f77bcf86cd7994390111',
  '-1',
  'NaN',
  '1e309',
);
const realIds = fc
  .constantFrom(...['conversation', 'message', 'alice', 'bob'].map((k) => () => ids[k]!))
  .map((f) => f());
const operators = fc.constantFrom<unknown>(
  { $gt: '' },
  { $ne: null },
  { $where: 'sleep(1000) || true' },
  { $regex: '.*' },
  { $in: [] },
  { $expr: { $eq: [1, 1] } },
  { $set: { username: 'pwned' } },
);
const huge = fc.constantFrom(
  'a'.repeat(100_000),
  '😀'.repeat(5000),
  ' '.repeat(4001),
  'x'.repeat(4001),
);
const deep = fc.constantFrom(nest(50, 1), nest(500, 'x'), nest(2000, null));
const scalar = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    2 ** 53,
    -(2 ** 31),
    1e308,
    '',
    'true',
    '[]',
    '{}',
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  loneSurrogates,
  oddIds,
  realIds,
);
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 2, arbitrary: operators },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: deep },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const FIELD_NAMES = [
  'conversationId',
  'clientMsgId',
  'text',
  'attachmentIds',
  'replyToId',
  'messageId',
  'emoji',
  'op',
  'scope',
  'seq',
  'userIds',
  'cursors',
  'limit',
  'before',
  'after',
  'name',
  'data',
  'token',
  'title',
  'memberIds',
  'userId',
  'role',
  'username',
  'password',
  'displayName',
  'avatarUrl',
  'ids',
  'all',
  'type',
  'body',
  'query',
  'q',
  'cursor',
  'unread',
  '__proto__',
  'constructor',
  'prototype',
  '$where',
  '$set',
  'senderId',
];
/** Objects built from the real field names with hostile values, plus pollution via JSON text. */
const hostileObject: fc.Arbitrary<unknown> = fc
  .dictionary(fc.constantFrom(...FIELD_NAMES), hostile, { maxKeys: 6 })
  .chain((obj) =>
    fc.constantFrom<unknown>(
      obj,
      JSON.parse(
        `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"x":${JSON.stringify(obj)}}`,
      ),
      { ...obj, __proto__: { polluted: true } },
    ),
  );
const payload: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileObject },
  { weight: 1, arbitrary: hostile },
);

// ---- answer checks ---------------------------------------------------------------------

function expectNoLeak(value: unknown, where: string): void {
  const text = JSON.stringify(value) ?? '';
  expect(LEAK.test(text), `${where} leaked internals: ${text.slice(0, 300)}`).toBe(false);
}

function expectCodedError(error: unknown, where: string): void {
  const e = error as { code?: unknown; message?: unknown };
  expect(
    typeof e?.code === 'string' && CODES.has(e.code),
    `${where}: not a protocol code: ${JSON.stringify(error)?.slice(0, 300)}`,
  ).toBe(true);
  expect(e.code, `${where}: ${JSON.stringify(error)?.slice(0, 300)}`).not.toBe('INTERNAL');
  expect(e.code).not.toBe('UNAVAILABLE');
  expect(typeof e.message).toBe('string');
}

// ---- the properties --------------------------------------------------------------------

describe('fuzzing every socket event', () => {
  for (const event of Object.values(ClientEvents)) {
    it(`${event}: coded answers, no leaks, rejected payloads change nothing`, async () => {
      let before = await snapshot();
      await fc.assert(
        fc.asyncProperty(payload, async (p) => {
          const answer = (await socket.timeout(10_000).emitWithAck(event, p)) as {
            ok: boolean;
            error?: unknown;
          };
          expect(typeof answer.ok).toBe('boolean');
          expectNoLeak(answer, event);
          const after = await snapshot();
          if (!answer.ok) {
            expectCodedError(answer.error, event);
            expect(after, `${event} was rejected but changed Mongo`).toBe(before);
          }
          before = after;
        }),
        { numRuns: SOCKET_RUNS, endOnFailure: true },
      );
      expect(socket.connected).toBe(true);
    });
  }
});

interface Route {
  method: string;
  path: string;
}

/** Every route of the node, read from fastify's own route tree (nothing to keep in sync). */
function routesOf(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    for (const method of m[3]!.split(', ')) routes.push({ method, path });
  }
  return routes.filter(
    (r) =>
      !['HEAD', 'OPTIONS'].includes(r.method) &&
      /^\/(api|files|healthz|readyz)/.test(r.path) &&
      !r.path.includes('*'),
  );
}

const pathParam = fc.oneof(
  oddIds,
  realIds,
  fc.string({ maxLength: 30 }),
  loneSurrogates.map((s) => s + 'id'),
);
/** Lone surrogates cannot be percent-encoded; send invalid UTF-8 and broken escapes raw instead. */
const RAW_SEGMENTS = ['%FF', '%ED%A0%80', '%', '%zz', '%C0%AF', '..%2F..%2F'];
const encodeSegment = (value: string, rawPick: number): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return RAW_SEGMENTS[rawPick % RAW_SEGMENTS.length]!;
  }
};
const queryValue = fc.oneof(
  scalar.map((v) => String(v)),
  fc.constantFrom('[object Object]', '-5', '1000000', 'a'.repeat(5000)),
);
const query = fc.dictionary(
  fc.constantFrom(
    'limit',
    'cursor',
    'before',
    'after',
    'q',
    'query',
    'unread',
    'exp',
    'sig',
    '__proto__',
    '$gt',
  ),
  queryValue,
  { maxKeys: 3 },
);
const rawBody = fc.oneof(
  { weight: 4, arbitrary: payload.map((p) => JSON.stringify(p) ?? 'null') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{',
      '{"a":',
      '\u0000',
      '[1,2',
      'null',
      '"str"',
      '{"__proto__":{"polluted":1}}',
      '{"a":1}'.repeat(3),
    ),
  },
);

describe('fuzzing every HTTP route', () => {
  it('finds the routes to fuzz', () => {
    const routes = routesOf(cluster.nodes[0]!.gateway.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes).toContainEqual({ method: 'POST', path: '/api/conversations/:id/messages' });
  });

  it('every route: coded answers, no leaks, rejected requests change nothing', async () => {
    const routes = routesOf(cluster.nodes[0]!.gateway.app.printRoutes({ commonPrefix: false }));
    for (const route of routes) {
      let before = await snapshot();
      await fc.assert(
        fc.asyncProperty(
          pathParam,
          pathParam,
          query,
          rawBody,
          fc.boolean(),
          fc.nat(1),
          async (p1, p2, q, body, authed, node) => {
            let n = 0;
            const path = route.path.replace(/:[A-Za-z]+/g, () =>
              encodeSegment(n++ === 0 ? p1 : p2, p1.length + n),
            );
            const search = new URLSearchParams(q as Record<string, string>).toString();
            const res = await fetch(
              `${cluster.nodes[node]!.url}${path}${search ? `?${search}` : ''}`,
              {
                method: route.method,
                headers: {
                  ...(authed ? { authorization: `Bearer ${alice.token}` } : {}),
                  ...(['POST', 'PATCH', 'PUT', 'DELETE'].includes(route.method)
                    ? { 'content-type': 'application/json' }
                    : {}),
                },
                ...(['POST', 'PATCH', 'PUT', 'DELETE'].includes(route.method) ? { body } : {}),
              },
            );
            const where = `${route.method} ${path}?${search}`;
            const text = await res.text();
            expect(res.status, `${where} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
            expectNoLeak(text, where);
            const after = await snapshot();
            if (res.status >= 400) {
              expectCodedError((JSON.parse(text) as { error?: unknown }).error, where);
              expect(after, `${where} was rejected but changed Mongo`).toBe(before);
            }
            before = after;
          },
        ),
        { numRuns: HTTP_RUNS, endOnFailure: true },
      );
    }
  }, 120_000);
});

describe('after the storm', () => {
  it('no prototype was polluted and every node still serves', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
    for (let i = 0; i < cluster.nodes.length; i++)
      expect((await cluster.http(i, 'GET', '/readyz')).status).toBe(200);
    const me = await cluster.http<{ username: string }>(0, 'GET', '/api/users/me', {
      token: alice.token,
    });
    expect(me.body.username).toBe(alice.username);
    expect(socket.connected).toBe(true);
  });
});
