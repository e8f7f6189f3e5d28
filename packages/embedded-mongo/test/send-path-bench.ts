/**
 * Server CPU per command for the chat send path, with the exact command shapes the store sends
 * (packages/store: allocateSeq, insertMany of messages, receipts, batched lookups, allocateMany).
 * Not a test: `pnpm --filter @chat/embedded-mongo bench`, or
 *
 *   node --conditions=@chat/source --import tsx packages/embedded-mongo/test/send-path-bench.ts \
 *     [--n 2000] [--messages 50000] [--prof DIR] [--label NAME] [--only REGEX]
 *     [--baseline FILE.json | --against DIR]
 *
 * The server runs as its own process (src/cli.ts), so the driver's CPU is not counted; its CPU
 * comes from /proc/<pid>/stat (utime + stime, 10 ms ticks) around each phase. Every shape runs
 * sequentially (one caller) and with 8 concurrent callers. Results go to the console and to
 * bench-results/send-path-<label>.json (gitignored); `--baseline` adds a before/after column.
 * `--against DIR` (a copy of this package at another commit, e.g. from `git archive`, with a
 * node_modules link) runs that server beside this one, seeded alike, alternating phases between
 * the two so that load from elsewhere on the box skews both the same way.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MongoClient, ObjectId, type AnyBulkWriteOperation, type IndexDescription } from 'mongodb';
import { createSendPathData, SEND_PATH_INDEXES, type Sent } from './send-path-data.js';
import { seqGrantPipeline } from './seq-grant-pipeline.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '50000' },
    prof: { type: 'string' },
    label: { type: 'string', default: new Date().toISOString().replace(/[:.]/g, '-') },
    baseline: { type: 'string' },
    against: { type: 'string' },
    only: { type: 'string' },
  },
});
const N = Number(values.n);
const PRELOAD = Number(values.messages);
const USERS = 1000;
const CONVERSATIONS = 1000;
const CONCURRENCY = 8;

interface Target {
  name: string;
  shapes: Shape[];
  cpuUs: () => [number, number];
  close: () => Promise<void>;
}

/** One driver call per `op(i)`; `commands` is how many server commands each call sends. */
interface Shape {
  name: string;
  commands: number;
  op: (i: number) => Promise<unknown>;
}

/** Starts a server from `cli`, seeds it and returns the shapes bound to it. */
async function startTarget(name: string, cli: string): Promise<Target> {
  const nodeArgs = ['--conditions=@chat/source', '--import', 'tsx'];
  if (values.prof) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', `${values.prof}/${name}`);
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
  /** [user + system, system] CPU of the server process so far, in µs. */
  const serverCpuUs = (): [number, number] => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const sys = Number(fields[12]) * TICK_US;
    return [Number(fields[11]) * TICK_US + sys, sys];
  };

  const client = new MongoClient(url, { maxPoolSize: CONCURRENCY });
  await client.connect();
  const db = client.db('bench');
  const conversations = db.collection('conversations');
  const messages = db.collection('messages');
  const memberships = db.collection('memberships');

  await conversations.createIndexes(SEND_PATH_INDEXES.conversations as IndexDescription[]);
  await memberships.createIndexes(SEND_PATH_INDEXES.memberships as IndexDescription[]);
  await messages.createIndexes(SEND_PATH_INDEXES.messages as IndexDescription[]);

  // Seed: direct conversations between neighbouring users, two memberships each, messages.
  const data = createSendPathData(USERS, CONVERSATIONS);
  const { convs, sent, convAt, newMessage, preview } = data;
  await conversations.insertMany(data.conversationDocs());
  await memberships.insertMany(data.membershipDocs());
  for (let i = 0; i < PRELOAD; i += 1000)
    await messages.insertMany(
      Array.from({ length: Math.min(1000, PRELOAD - i) }, (_, k) => newMessage(convAt(i + k))),
    );
  // Conversation seqs catch up with the preloaded messages.
  await conversations.bulkWrite(
    convs.map((c) => ({ updateOne: { filter: { _id: c.id }, update: { $set: { seq: c.seq } } } })),
    { ordered: false },
  );

  const receiptSeq = new Map<string, number>();
  const shapes: Shape[] = [
    {
      name: '1 findOneAndUpdate conversation ($inc/$set/$max)',
      commands: 1,
      op: async (i) => {
        const c = convAt(i);
        const at = new Date();
        const res = await conversations.findOneAndUpdate(
          { _id: c.id, closedAt: { $exists: false }, blocked: { $exists: false } },
          {
            $inc: { seq: 1 },
            $set: { lastMessage: preview(c, i) },
            $max: { lastActivityAt: at },
          },
          { returnDocument: 'after', projection: { seq: 1 } },
        );
        if (!res) throw new Error('conversation not found');
        c.seq = res.seq as number;
      },
    },
    {
      name: '2 insertMany 1 message (unordered)',
      commands: 1,
      op: (i) => messages.insertMany([newMessage(convAt(i))], { ordered: false }),
    },
    {
      name: '2 insertMany 10 messages (unordered)',
      commands: 1,
      op: (i) =>
        messages.insertMany(
          Array.from({ length: 10 }, (_, k) => newMessage(convAt(i * 10 + k))),
          { ordered: false },
        ),
    },
    {
      name: '3 bulkWrite read+delivered receipts',
      commands: 1,
      op: (i) => {
        const c = convAt(i);
        const userId = c.members[i % 2] as ObjectId;
        const key = `${c.id.toHexString()}:${i % 2}`;
        const seq = (receiptSeq.get(key) ?? 0) + 1;
        receiptSeq.set(key, seq);
        const at = new Date();
        const move = (field: string, atField: string): AnyBulkWriteOperation => ({
          updateOne: {
            filter: { conversationId: c.id, userId, [field]: { $lt: seq } },
            update: { $set: { [field]: seq, [atField]: at } },
          },
        });
        return memberships.bulkWrite(
          [move('readSeq', 'readAt'), move('deliveredSeq', 'deliveredAt')],
          { ordered: false },
        );
      },
    },
    ...[1, 10].map((k): Shape => ({
      name: `4 find memberships $or of ${k} pairs`,
      commands: 1,
      op: async (i) => {
        const clauses = Array.from({ length: k }, (_, j) => {
          const c = convAt(i * k + j);
          return { conversationId: c.id, userId: c.members[j % 2] };
        });
        const found = await memberships.find({ $or: clauses }).toArray();
        if (found.length !== k) throw new Error(`expected ${k} memberships`);
      },
    })),
    ...[1, 10].map((k): Shape => ({
      name: `4 find conversations _id $in ${k} (seqGrants: 0)`,
      commands: 1,
      op: async (i) => {
        const ids = Array.from({ length: k }, (_, j) => convAt(i * k + j).id);
        const found = await conversations
          .find({ _id: { $in: ids } }, { projection: { seqGrants: 0 } })
          .toArray();
        if (found.length === 0) throw new Error('no conversations');
      },
    })),
    ...[1, 10].map((k): Shape => ({
      name: `5 find messages $or of ${k} (senderId, clientMsgId)`,
      commands: 1,
      op: async (i) => {
        const clauses = Array.from({ length: k }, (_, j) => {
          // Half the lookups hit a stored message (a retry), half miss (a new send).
          const s = sent[(i * 104729 + j * 7919) % sent.length] as Sent;
          return { senderId: s.senderId, clientMsgId: j % 2 ? s.clientMsgId : `new-${i}-${j}` };
        });
        await messages.find({ $or: clauses }).toArray();
      },
    })),
    {
      name: '6 allocateMany 4 conversations (pipeline bulk + find)',
      commands: 2,
      op: async (i) => {
        const token = new ObjectId();
        const grants = Array.from({ length: 4 }, (_, j) => convAt(i * 4 + j));
        await conversations.bulkWrite(
          grants.map((c, j) => ({
            updateOne: {
              filter: { _id: c.id, closedAt: { $exists: false }, blocked: { $exists: false } },
              update: seqGrantPipeline(1, preview(c, i * 4 + j), token, new Date()),
            },
          })),
          { ordered: false },
        );
        const docs = await conversations
          .find(
            { _id: { $in: grants.map((c) => c.id) } },
            { projection: { seqGrants: 1, closedAt: 1, blocked: 1 } },
          )
          .toArray();
        for (const d of docs) {
          const grant = (d.seqGrants as { t: ObjectId; s: number }[] | undefined)?.find((g) =>
            g.t.equals(token),
          );
          if (!grant) throw new Error('grant not recorded');
        }
      },
    },
  ];
  return {
    name,
    shapes,
    cpuUs: serverCpuUs,
    close: async () => {
      await client.close();
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Result {
  target: string;
  shape: string;
  mode: 'seq' | 'conc8';
  commands: number;
  cpuUs: number;
  usPerCmd: number;
  /** The kernel's share of usPerCmd (loopback TCP is largely charged to the writer). */
  sysUsPerCmd: number;
  wallMs: number;
}
const results: Result[] = [];

async function run(target: Target, shape: Shape, mode: Result['mode']): Promise<void> {
  const calls = Math.max(1, Math.round(N / shape.commands));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < calls) await shape.op(next++);
  };
  const workers = mode === 'seq' ? 1 : CONCURRENCY;
  for (let w = 0; w < 50; w++) await shape.op(calls + w); // warm-up (JIT)
  const started = performance.now();
  const [before, sysBefore] = target.cpuUs();
  await Promise.all(Array.from({ length: workers }, worker));
  const [after, sysAfter] = target.cpuUs();
  const cpuUs = after - before;
  const commands = calls * shape.commands;
  results.push({
    target: target.name,
    shape: shape.name,
    mode,
    commands,
    cpuUs,
    usPerCmd: Math.round(cpuUs / commands),
    sysUsPerCmd: Math.round((sysAfter - sysBefore) / commands),
    wallMs: Math.round(performance.now() - started),
  });
}

const targets = [
  await startTarget('current', fileURLToPath(new URL('../src/cli.ts', import.meta.url))),
];
if (values.against) targets.push(await startTarget('against', `${values.against}/src/cli.ts`));
// Background CPU of an idle server (timers, the GC's idle work after seeding): each phase also
// pays it for as long as it runs, which weighs most on the slow sequential phases.
const idleBefore = targets.map((t) => t.cpuUs()[0]);
await new Promise((resolve) => setTimeout(resolve, 2000));
targets.forEach((t, i) =>
  console.log(
    `${t.name}: idle server CPU ${Math.round((t.cpuUs()[0] - (idleBefore[i] ?? 0)) / 2000)} µs per ms`,
  ),
);
const shapeCount = (targets[0] as Target).shapes.length;
for (let s = 0; s < shapeCount; s++) {
  const name = (targets[0] as Target).shapes[s]?.name ?? '';
  if (values.only && !new RegExp(values.only).test(name)) continue;
  // Phases of the two servers alternate, so a busy neighbour slows both alike.
  for (const mode of ['seq', 'conc8'] as const)
    for (const t of targets) await run(t, t.shapes[s] as Shape, mode);
}
for (const t of targets) await t.close();

const baseline = values.baseline
  ? (JSON.parse(readFileSync(values.baseline, 'utf8')) as { results: Result[] }).results
  : undefined;
/** The comparison row: the other server of this run, else the same row of the baseline file. */
const base = (r: Result): Result | undefined =>
  values.against
    ? results.find((b) => b.target === 'against' && b.shape === r.shape && b.mode === r.mode)
    : baseline?.find(
        (b) => (b.target ?? 'current') === 'current' && b.shape === r.shape && b.mode === r.mode,
      );
const comparing = Boolean(values.against ?? baseline);
console.log(
  `server CPU per command (${N} commands per phase, ${PRELOAD} preloaded messages, node ${process.version})`,
);
console.log(
  `${'shape'.padEnd(56)} ${'mode'.padEnd(6)} ${'µs/cmd'.padStart(7)}${comparing ? ' before'.padStart(8) + ' change'.padStart(8) : ''} ${'sys'.padStart(5)} ${'cmds/s'.padStart(7)}`,
);
for (const r of results.filter((x) => x.target === 'current')) {
  const b = base(r);
  const cmp = b
    ? `${String(b.usPerCmd).padStart(8)}${`${Math.round((r.usPerCmd / b.usPerCmd - 1) * 100)}%`.padStart(8)}`
    : comparing
      ? ' '.repeat(16)
      : '';
  const rate = Math.round(r.commands / (r.wallMs / 1000));
  console.log(
    `${r.shape.padEnd(56)} ${r.mode.padEnd(6)} ${String(r.usPerCmd).padStart(7)}${cmp} ${String(r.sysUsPerCmd).padStart(5)} ${String(rate).padStart(7)}`,
  );
}
const outDir = fileURLToPath(new URL('../bench-results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const outFile = `${outDir}send-path-${values.label}.json`;
writeFileSync(
  outFile,
  JSON.stringify(
    {
      label: values.label,
      date: new Date().toISOString(),
      n: N,
      preload: PRELOAD,
      against: values.against,
      results,
    },
    null,
    2,
  ),
);
console.log(`written to ${outFile}`);
