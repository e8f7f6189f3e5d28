/**
 * The send-path command shapes (see send-path-bench.ts) run in-process through decode (BSON),
 * dispatch and reply encoding, without sockets, so the measure is the server's own JavaScript
 * work and is far less sensitive to a busy box than the separate-process benchmark. With
 * `--against DIR` (another copy of this package, e.g. from `git archive`), both implementations
 * run in the same process on identical command bytes, alternating rounds, best round kept.
 *
 *   node --conditions=@chat/source --import tsx packages/embedded-mongo/test/send-path-inproc.ts \
 *     [--n 2000] [--rounds 3] [--messages 30000] [--against DIR]
 */
import { deserialize, ObjectId, serialize, type Document } from 'bson';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type * as CursorsModule from '../src/cursors.js';
import type * as DispatchModule from '../src/dispatch.js';
import type * as StorageModule from '../src/storage.js';
import { createSendPathData, SEND_PATH_INDEXES } from './send-path-data.js';
import { seqGrantPipeline } from './seq-grant-pipeline.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    messages: { type: 'string', default: '30000' },
    against: { type: 'string' },
    only: { type: 'string' },
  },
});
const N = Number(values.n);
const ROUNDS = Number(values.rounds);
const PRELOAD = Number(values.messages);

type Run = (cmd: Buffer) => Buffer;

/** A fresh server state of the implementation in `dir`, answering raw command bytes. */
async function load(dir: string): Promise<Run> {
  const url = (f: string): string => pathToFileURL(`${dir}/src/${f}`).href;
  const { dispatch } = (await import(url('dispatch.ts'))) as typeof DispatchModule;
  const { Storage } = (await import(url('storage.ts'))) as typeof StorageModule;
  const { CursorRegistry } = (await import(url('cursors.ts'))) as typeof CursorsModule;
  const ctx = {
    storage: new Storage(),
    cursors: new CursorRegistry(),
    db: 'bench',
    connectionId: 1,
    remote: 'inproc',
  };
  return (bytes) => {
    const reply = dispatch(deserialize(bytes), ctx);
    if (reply.ok !== 1 || reply.writeErrors) throw new Error(JSON.stringify(reply));
    return Buffer.from(serialize(reply, { ignoreUndefined: true }));
  };
}

const cmd = (c: Document): Buffer => Buffer.from(serialize({ ...c, $db: 'bench' }));

// Seed commands: the store's indexes, 1,000 direct conversations, 2 memberships each, messages.
const data = createSendPathData(1000, 1000);
const { convs, sent, convAt, preview } = data;
const seed: Buffer[] = [
  ...(['conversations', 'memberships', 'messages'] as const).map((name) =>
    cmd({ createIndexes: name, indexes: SEND_PATH_INDEXES[name] }),
  ),
  cmd({ insert: 'conversations', documents: data.conversationDocs() }),
  cmd({ insert: 'memberships', documents: data.membershipDocs() }),
];
const message = data.newMessage;
for (let i = 0; i < PRELOAD; i += 1000)
  seed.push(
    cmd({
      insert: 'messages',
      ordered: false,
      documents: Array.from({ length: Math.min(1000, PRELOAD - i) }, (_, k) =>
        message(convAt(i + k)),
      ),
    }),
  );
seed.push(
  cmd({
    update: 'conversations',
    ordered: false,
    updates: convs.map((c) => ({ q: { _id: c.id }, u: { $set: { seq: c.seq } } })),
  }),
);

const writable = { closedAt: { $exists: false }, blocked: { $exists: false } };
const receipts = new Map<string, number>();

/** Builds the i-th command of a shape; every implementation gets the same bytes. */
const SHAPES: Record<string, (i: number) => Document> = {
  '1 findAndModify conversation': (i) => {
    const c = convAt(i);
    return {
      findAndModify: 'conversations',
      query: { _id: c.id, ...writable },
      update: {
        $inc: { seq: 1 },
        $set: { lastMessage: preview(c, i) },
        $max: { lastActivityAt: new Date() },
      },
      new: true,
      fields: { seq: 1 },
    };
  },
  '2 insert 1 message': (i) => ({
    insert: 'messages',
    ordered: false,
    documents: [message(convAt(i))],
  }),
  '2 insert 10 messages': (i) => ({
    insert: 'messages',
    ordered: false,
    documents: Array.from({ length: 10 }, (_, k) => message(convAt(i * 10 + k))),
  }),
  '3 update read+delivered receipts': (i) => {
    const c = convAt(i);
    const userId = c.members[i % 2];
    const key = `${c.id.toHexString()}${i % 2}`;
    const seq = (receipts.get(key) ?? 0) + 1;
    receipts.set(key, seq);
    const at = new Date();
    const move = (field: string, atField: string): Document => ({
      q: { conversationId: c.id, userId, [field]: { $lt: seq } },
      u: { $set: { [field]: seq, [atField]: at } },
    });
    return {
      update: 'memberships',
      ordered: false,
      updates: [move('readSeq', 'readAt'), move('deliveredSeq', 'deliveredAt')],
    };
  },
  '4 find memberships $or of 10': (i) => ({
    find: 'memberships',
    filter: {
      $or: Array.from({ length: 10 }, (_, j) => {
        const c = convAt(i * 10 + j);
        return { conversationId: c.id, userId: c.members[j % 2] };
      }),
    },
  }),
  '4 find conversations _id $in 10': (i) => ({
    find: 'conversations',
    filter: { _id: { $in: Array.from({ length: 10 }, (_, j) => convAt(i * 10 + j).id) } },
    projection: { seqGrants: 0 },
  }),
  '5 find messages $or of 10': (i) => ({
    find: 'messages',
    filter: {
      $or: Array.from({ length: 10 }, (_, j) => {
        const s = sent[(i * 104729 + j * 7919) % sent.length] as (typeof sent)[number];
        return { senderId: s.senderId, clientMsgId: j % 2 ? s.clientMsgId : `new-${i}-${j}` };
      }),
    },
  }),
  '6 update 4 pipelines (allocateMany)': (i) => {
    const token = new ObjectId();
    return {
      update: 'conversations',
      ordered: false,
      updates: Array.from({ length: 4 }, (_, j) => {
        const c = convAt(i * 4 + j);
        return {
          q: { _id: c.id, ...writable },
          u: seqGrantPipeline(1, preview(c, i), token, new Date()),
        };
      }),
    };
  },
};

const impls: [string, Run][] = [
  ['current', await load(new URL('..', import.meta.url).pathname.replace(/\/$/, ''))],
];
if (values.against) impls.push(['against', await load(values.against)]);
for (const [, run] of impls) for (const b of seed) run(b);

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const best = new Map<string, number>();
for (const [shape, build] of Object.entries(SHAPES)) {
  if (values.only && !new RegExp(values.only).test(shape)) continue;
  for (let r = 0; r < ROUNDS; r++) {
    const bytes = Array.from({ length: N }, (_, i) => cmd(build(r * N + i)));
    // Alternate who goes first, so neither always inherits the other's garbage.
    for (const [name, run] of r % 2 ? [...impls].reverse() : impls) {
      const before = cpuUs();
      for (const b of bytes) run(b);
      const us = (cpuUs() - before) / N;
      const key = `${shape}\t${name}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, us));
    }
  }
}
console.log(`in-process µs per command (best of ${ROUNDS} rounds of ${N}, ${PRELOAD} messages)`);
for (const shape of Object.keys(SHAPES)) {
  if (values.only && !new RegExp(values.only).test(shape)) continue;
  const cur = best.get(`${shape}\tcurrent`) ?? NaN;
  const against = best.get(`${shape}\tagainst`);
  const cmp =
    against === undefined
      ? ''
      : `${against.toFixed(0).padStart(8)}${`${Math.round((cur / against - 1) * 100)}%`.padStart(7)}`;
  console.log(`${shape.padEnd(40)}${cur.toFixed(0).padStart(7)}${cmp}`);
}
