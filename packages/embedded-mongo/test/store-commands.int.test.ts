import { deserialize, serialize } from 'bson';
import { Query, update as mingoUpdate } from 'mingo';
import type { Modifier } from 'mingo/updater';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, ObjectId, type MongoStore } from '@chat/store';
import { cloneDoc, isPlainObject, keyOf, type Doc } from '../src/bson-values.js';
import { compileFastFilter } from '../src/fast-filter.js';
import { fastPipeline } from '../src/fast-pipeline.js';
import { fastUpdate } from '../src/fast-update.js';
import { runUpdatePipeline } from '../src/mingo-options.js';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/index.js';

/*
 * The fast paths (fast-filter, fast-update, fast-pipeline) checked against mingo on the very
 * commands the store sends: the store's repositories run a chat's usual traffic against the
 * embedded server while its onCommand hook records every command; then each recorded filter,
 * operator update and update pipeline that a fast path accepts must give mingo's answer on
 * every stored document of its collection (and on a few edge-case documents).
 */

let server: EmbeddedMongo;
let store: MongoStore;
const recorded: Array<{ cmd: Doc; db: string }> = [];
const dbName = `store_commands_${process.pid}`;

beforeAll(async () => {
  server = await startEmbeddedMongo({ onCommand: (cmd, db) => recorded.push({ cmd, db }) });
  store = await connectMongo({ url: server.url, dbName });
  await store.ensureIndexes();
  const [a, b, c] = await Promise.all(
    ['ann', 'ben', 'cat'].map((username) => store.users.create({ username })),
  );
  if (!a || !b || !c) throw new Error('users');
  const direct = (await store.conversations.getOrCreateDirect(a._id, b._id)).conversation;
  await store.conversations.getOrCreateDirect(b._id, a._id);
  await store.memberships.addMany(direct._id, [
    { userId: a._id, role: 'member' },
    { userId: b._id, role: 'member' },
  ]);
  const group = await store.conversations.createGroup({ title: 'g', createdBy: a._id });
  await store.memberships.addMany(group._id, [
    { userId: a._id, role: 'owner' },
    { userId: b._id, role: 'member' },
    { userId: c._id, role: 'member' },
  ]);
  const sent = [];
  for (let seq = 1; seq <= 12; seq++) {
    for (const conv of [direct, group]) {
      sent.push(
        await store.messages.insert({
          conversationId: conv._id,
          seq,
          senderId: seq % 2 ? a._id : b._id,
          clientMsgId: `m-${conv === direct ? 'd' : 'g'}${seq}`,
          text: `hello ${seq}`,
        }),
      );
    }
  }
  await store.messages.findByClientMsgId(a._id, 'm-d1');
  await store.messages.findByIds(sent.slice(0, 5).map((m) => m._id));
  await store.messages.history(group._id, { viewerId: c._id, limit: 5 });
  await store.messages.history(group._id, { viewerId: c._id, before: 6, limit: 3 });
  await store.messages.history(direct._id, { viewerId: b._id, after: 2, limit: 4 });
  await store.messages.latestSeq(group._id);
  const first = sent[0];
  if (first) {
    await store.messages.edit(first._id, 'edited', new Date());
    await store.messages.addReaction(first, b._id, '👍');
    await store.messages.hideForUser(first._id, c._id);
    await store.messages.reviseReplyQuotes(first.conversationId, first._id, 'quoted');
  }
  await store.memberships.advanceRead(group._id, c._id, 7);
  await store.memberships.findForUser(b._id, [direct._id, group._id]);
  await store.memberships.listMembersOf([direct._id, group._id]);
  await store.users.findByIds([a._id, b._id, new ObjectId()]);
  await store.users.searchByPrefix('b');
  await store.users.setLastSeen(a._id, new Date());
  await store.conversations.flushActivity();
  await store.conversations.listForUser(b._id, { limit: 10 });
  await store.conversations.findByIds([direct._id, group._id]);
}, 60_000);

afterAll(async () => {
  await store?.db.dropDatabase();
  await store?.close();
  await server?.close();
});

interface Shapes {
  filters: Array<{ coll: string; filter: Doc }>;
  updates: Array<{ coll: string; filter: Doc; update: unknown }>;
}

/** The filters and updates of the recorded commands, by collection. */
function shapesOf(commands: Array<{ cmd: Doc; db: string }>): Shapes {
  const out: Shapes = { filters: [], updates: [] };
  const filter = (coll: unknown, f: unknown): void => {
    if (typeof coll === 'string' && isPlainObject(f)) out.filters.push({ coll, filter: f });
  };
  for (const { cmd, db } of commands) {
    if (db !== dbName) continue;
    const name = Object.keys(cmd)[0];
    const coll = name === undefined ? undefined : cmd[name];
    if (name === 'find') filter(coll, cmd.filter);
    else if (name === 'count') filter(coll, cmd.query);
    else if (name === 'delete') for (const st of cmd.deletes as Doc[]) filter(coll, st.q);
    else if (name === 'aggregate' && Array.isArray(cmd.pipeline)) {
      for (const stage of cmd.pipeline as Doc[]) if ('$match' in stage) filter(coll, stage.$match);
    } else if (name === 'update') {
      for (const st of cmd.updates as Doc[]) {
        filter(coll, st.q);
        out.updates.push({ coll: coll as string, filter: st.q as Doc, update: st.u });
      }
    } else if ((name === 'findAndModify' || name === 'findandmodify') && typeof coll === 'string') {
      filter(coll, cmd.query);
      if (cmd.update !== undefined)
        out.updates.push({ coll, filter: (cmd.query ?? {}) as Doc, update: cmd.update });
    }
  }
  return out;
}

/** Edge cases next to the stored documents: missing fields, nulls, arrays, other types. */
/**
 * The stored documents as the server holds them: decoded by this package's (ESM) bson, not the
 * driver's (CommonJS) copy, whose ObjectId is another class that mingo does not equate.
 */
async function storedDocs(coll: string): Promise<Doc[]> {
  const docs = await store.db.collection(coll).find().toArray();
  return [...docs.map((d) => deserialize(serialize(d))), ...EDGES];
}

const EDGES: Doc[] = [
  { _id: 'e1' },
  { _id: 'e2', seq: null, conversationId: null, userId: 'x', readSeq: '3' },
  { _id: 'e3', seq: [1, 2], senderId: [], clientMsgId: 7, hidden: [] },
  { _id: 'e4', seq: 5.5, deliveredSeq: { $x: 1 }, username: ['ann'] },
];

describe('the fast paths on the commands the store sends', () => {
  it('records the store commands and the fast paths take most of them', () => {
    const { filters, updates } = shapesOf(recorded);
    expect(filters.length).toBeGreaterThan(20);
    expect(updates.length).toBeGreaterThan(5);
    const fast = filters.filter((f) => compileFastFilter(f.filter) !== undefined);
    // The send path's lookups must stay on the fast path: if this drops, a store change
    // moved a hot filter off it (see the module comments of fast-filter.ts).
    expect(fast.length / filters.length).toBeGreaterThan(0.5);
  });

  it('every filter a fast matcher accepts matches exactly what mingo matches', async () => {
    const { filters } = shapesOf(recorded);
    let compared = 0;
    for (const { coll, filter } of filters) {
      const fast = compileFastFilter(filter);
      if (!fast) continue;
      const query = new Query(filter);
      const docs = await storedDocs(coll);
      for (const doc of docs) {
        const answer = fast(doc);
        if (answer === undefined) continue;
        compared++;
        expect(answer, `${coll} ${JSON.stringify(filter)} on ${keyOf(doc._id)}`).toBe(
          query.test(doc),
        );
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('every operator update and update pipeline a fast path accepts gives mingo’s document', async () => {
    const { updates } = shapesOf(recorded);
    let compared = 0;
    for (const { coll, update } of updates) {
      const docs = await storedDocs(coll);
      for (const doc of docs) {
        if (Array.isArray(update)) {
          const fast = fastPipeline(doc, update as Doc[]);
          if (!fast) continue;
          compared++;
          expect(keyOf(fast), JSON.stringify(update)).toBe(
            keyOf(runUpdatePipeline(cloneDoc(doc), update as Doc[])),
          );
        } else if (isPlainObject(update) && Object.keys(update).some((k) => k.startsWith('$'))) {
          const { $setOnInsert: _onInsert, ...ops } = update;
          if (Object.keys(ops).length === 0) continue;
          const fast = fastUpdate(doc, ops);
          if (!fast) continue;
          compared++;
          const copy = cloneDoc(doc);
          const changed = mingoUpdate(copy, ops as Modifier<Doc>, [], {});
          expect(keyOf(fast.doc), JSON.stringify(ops)).toBe(keyOf(copy));
          expect(fast.modified, JSON.stringify(ops)).toBe(changed.length > 0);
        }
      }
    }
    expect(compared).toBeGreaterThan(20);
  });
});
