/**
 * How long a durable server takes to start on a data folder of `--messages` chat messages
 * (plus the conversations and memberships they belong to, with the store's indexes), and what
 * the write-through costs while seeding. Not a test:
 *
 *   node --conditions=@chat/source --import tsx packages/embedded-mongo/test/durable-startup-bench.ts \
 *     [--messages 300000] [--conversations 1000] [--dir DIR]
 *
 * It seeds the folder first when it holds no data yet; without `--dir`, a temporary folder
 * that is removed afterwards.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../src/index.js';
import { DATA_FILE } from '../src/persistence/sqlite-store.js';
import { createSendPathData, SEND_PATH_INDEXES } from './send-path-data.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '300000' },
    conversations: { type: 'string', default: '1000' },
    dir: { type: 'string' },
  },
});
const MESSAGES = Number(values.messages);
const CONVERSATIONS = Number(values.conversations);
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'durable-startup-'));
const BATCH = 1000;

async function seed(): Promise<void> {
  const server = await startEmbeddedMongo({ dataDir: dir });
  const client = new MongoClient(server.url);
  const db = client.db('chat');
  const data = createSendPathData(CONVERSATIONS, CONVERSATIONS);
  for (const [name, indexes] of Object.entries(SEND_PATH_INDEXES))
    await db.collection(name).createIndexes(indexes as never);
  await db.collection('conversations').insertMany(data.conversationDocs());
  await db.collection('memberships').insertMany(data.membershipDocs());
  const started = performance.now();
  for (let done = 0; done < MESSAGES; done += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, MESSAGES - done) }, (_, i) =>
      data.newMessage(data.convAt(done + i)),
    );
    await db.collection('messages').insertMany(batch);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `seeded ${MESSAGES} messages in ${seconds.toFixed(1)} s (${Math.round(MESSAGES / seconds)}/s, batches of ${BATCH})`,
  );
  await client.close();
  await server.close();
}

async function timeStartup(): Promise<void> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const server = await startEmbeddedMongo({ dataDir: dir });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  // On a shared box the wall time moves with the load; the CPU time much less.
  const cpuSeconds = (used.user + used.system) / 1e6;
  const client = new MongoClient(server.url);
  const count = await client.db('chat').collection('messages').countDocuments();
  const mb = statSync(join(dir, DATA_FILE)).size / 1e6;
  console.log(
    `startup with ${count} messages (${mb.toFixed(0)} MB file): ${(ms / 1000).toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU, heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
  );
  await client.close();
  await server.close();
}

try {
  if (!existsSync(join(dir, DATA_FILE))) await seed();
  await timeStartup();
} finally {
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
