/**
 * Measures the embedded server's CPU per batched command (the shapes the store sends), with the
 * server as a separate process so the driver's own CPU is not counted. Not a test: run it by hand,
 *
 *   node --conditions=@chat/source --import tsx packages/embedded-mongo/test/profile-batched.ts \
 *     [--prof DIR] [--rounds N] [--skip REGEX]
 *
 * `--skip REGEX` leaves out the phases whose name matches (e.g. '\$or' on a build that scans them).
 * `--prof DIR` starts the server under `node --cpu-prof --cpu-prof-dir DIR`. Server CPU comes from
 * /proc/<pid>/stat (utime + stime) around each phase, so phases run long enough for 10 ms ticks.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MongoBulkWriteError, MongoClient, ObjectId, type AnyBulkWriteOperation } from 'mongodb';

const { values } = parseArgs({
  options: {
    prof: { type: 'string' },
    rounds: { type: 'string', default: '400' },
    skip: { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
const BATCH = 50;
const PRELOAD = 20_000;

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const nodeArgs = ['--conditions=@chat/source', '--import', 'tsx'];
if (values.prof) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', values.prof);
const child = spawn(process.execPath, [...nodeArgs, cli, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const pid = child.pid ?? 0;
const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

const url = await new Promise<string>((resolve, reject) => {
  const lines = createInterface({ input: child.stdout });
  lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
  child.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
});

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const serverCpuUs = (): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
};

const client = new MongoClient(url, { maxPoolSize: 1 });
await client.connect();
const db = client.db('profile');
const messages = db.collection('messages');
await messages.createIndex({ senderId: 1, clientMsgId: 1 }, { unique: true });
await messages.createIndex({ conversationId: 1, seq: 1 }, { unique: true });
const members = db.collection('members');
await members.createIndex({ conversationId: 1, userId: 1 }, { unique: true });

const CONVERSATIONS = 200;
const USERS = 500;
const seqs = new Map<string, number>();
const nextSeq = (conv: string): number => {
  const s = (seqs.get(conv) ?? 0) + 1;
  seqs.set(conv, s);
  return s;
};
let msgCounter = 0;
const newMessage = (): Record<string, unknown> => {
  const i = msgCounter++;
  const conversationId = `c${i % CONVERSATIONS}`;
  return {
    _id: new ObjectId(),
    conversationId,
    seq: nextSeq(conversationId),
    senderId: `u${i % USERS}`,
    clientMsgId: `m${i}`,
    type: 'text',
    text: `message number ${i} with some text in it`,
    createdAt: new Date(),
  };
};
for (let i = 0; i < PRELOAD; i += 1000)
  await messages.insertMany(Array.from({ length: 1000 }, newMessage));
const memberDocs = [];
for (let c = 0; c < CONVERSATIONS; c++)
  for (let k = 0; k < 10; k++)
    memberDocs.push({
      conversationId: `c${c}`,
      userId: `u${(c * 7 + k) % USERS}`,
      readSeq: 0,
      joinedAt: new Date(),
    });
await members.insertMany(memberDocs);

const results: Record<string, { perCmdUs: number; perDocUs: number }> = {};
async function phase(name: string, run: (round: number) => Promise<unknown>): Promise<void> {
  if (values.skip && new RegExp(values.skip).test(name)) return;
  for (let r = 0; r < 20; r++) await run(r); // warm-up (JIT)
  const before = serverCpuUs();
  for (let r = 0; r < ROUNDS; r++) await run(r);
  const used = serverCpuUs() - before;
  results[name] = {
    perCmdUs: Math.round(used / ROUNDS),
    perDocUs: Math.round((used / ROUNDS / BATCH) * 10) / 10,
  };
}

const pick = <T>(xs: readonly T[], n: number, seed: number): T[] =>
  Array.from({ length: n }, (_, i) => xs[(seed * 7919 + i * 104729) % xs.length] as T);
const stored = await messages
  .find({}, { projection: { _id: 1, senderId: 1, clientMsgId: 1, conversationId: 1 } })
  .toArray();

await phase('insertMany 50 (2 dups, unordered)', async (r) => {
  const docs = Array.from({ length: BATCH }, newMessage);
  // Two retries of already stored messages: E11000 on {senderId, clientMsgId}.
  const dups = pick(stored, 2, r).map((d) => ({
    ...newMessage(),
    senderId: d.senderId,
    clientMsgId: d.clientMsgId,
  }));
  docs.splice(0, 2, ...dups);
  try {
    await messages.insertMany(docs, { ordered: false });
    throw new Error('expected duplicate key errors');
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
  }
});

await phase('find $or of 50 (senderId, clientMsgId)', async (r) => {
  const clauses = pick(stored, BATCH, r).map((d) => ({
    senderId: d.senderId,
    clientMsgId: d.clientMsgId,
  }));
  const found = await messages.find({ $or: clauses }).toArray();
  if (found.length === 0) throw new Error('nothing found');
});

await phase('find $or of 50 (conversationId, userId) on members', async (r) => {
  const clauses = Array.from({ length: BATCH }, (_, i) => ({
    conversationId: `c${(r + i) % CONVERSATIONS}`,
    userId: `u${(((r + i) % CONVERSATIONS) * 7 + (i % 10)) % USERS}`,
  }));
  await members.find({ $or: clauses }).toArray();
});

await phase('find _id $in 50 with projection', async (r) => {
  const ids = pick(stored, BATCH, r).map((d) => d._id);
  await messages.find({ _id: { $in: ids } }, { projection: { seq: 1, senderId: 1 } }).toArray();
});

await phase('bulkWrite 50 updateOne ($set + $max, unordered)', async (r) => {
  const ops: AnyBulkWriteOperation[] = pick(stored, BATCH, r).map((d, i) => ({
    updateOne: {
      filter: { _id: d._id, seq: { $lt: 1_000_000 } },
      update: { $set: { editedAt: new Date(), round: r }, $max: { lastSeq: r * BATCH + i } },
    },
  }));
  await messages.bulkWrite(ops, { ordered: false });
});

await client.close();
child.kill('SIGTERM');
await exited;
process.stdout.write(`server CPU, ${ROUNDS} rounds, batches of ${BATCH}:\n`);
for (const [name, r] of Object.entries(results))
  process.stdout.write(
    `  ${name.padEnd(52)} ${String(r.perCmdUs).padStart(6)} µs/cmd ${String(r.perDocUs).padStart(6)} µs/doc\n`,
  );
