import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { MongoClient, MongoServerError, ObjectId } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirError, startEmbeddedMongo, type EmbeddedMongo } from '../src/index.js';
import { DATA_FILE } from '../src/persistence/sqlite-store.js';

/*
 * Durable mode (src/persistence/sqlite-store.ts): data, indexes and collection metadata survive
 * a restart; a SIGKILLed server loses no acknowledged write; unusable folders fail clearly.
 * Embedded server only: this is a property of our server, not a MongoDB parity check.
 */

const dirs: string[] = [];
const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-mongo-durable-'));
  dirs.push(dir);
  return dir;
}

async function start(dir: string): Promise<{ server: EmbeddedMongo; client: MongoClient }> {
  const server = await startEmbeddedMongo({ dataDir: dir });
  const client = new MongoClient(server.url, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const pair = {
    server,
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
  open.push(pair);
  return pair;
}

async function stop(pair: { server: EmbeddedMongo; client: MongoClient }): Promise<void> {
  await pair.client.close();
  await pair.server.close();
}

describe('durable embedded server', () => {
  it('keeps documents, their order, updates, deletes, collections and indexes across a restart', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const db = first.client.db('app');
    await db.createCollection('empty');
    const users = db.collection<{ _id: ObjectId; name: string; n?: number; at?: Date }>('users');
    await users.createIndex({ name: 1 }, { unique: true, name: 'name_unique' });
    await users.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: 'ttl' });
    const ids = Array.from({ length: 5 }, () => new ObjectId());
    await users.insertMany(ids.map((_id, i) => ({ _id, name: `u${i}`, at: new Date() })));
    await users.updateOne({ name: 'u1' }, { $set: { n: 7 } });
    await users.deleteOne({ name: 'u3' });
    await db.collection('gone').insertOne({ x: 1 });
    await db.collection('gone').drop();
    await stop(first);

    const second = await start(dir);
    const again = second.client.db('app');
    const names = (await again.listCollections().toArray()).map((c) => c.name).sort();
    expect(names).toEqual(['empty', 'users']);
    const docs = await again.collection('users').find().toArray();
    expect(docs.map((d) => d.name)).toEqual(['u0', 'u1', 'u2', 'u4']);
    expect(docs[1]?.n).toBe(7);
    expect(docs[0]?._id).toEqual(ids[0]);
    expect(docs[0]?.at).toBeInstanceOf(Date);
    const indexes = await again.collection('users').listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(['_id_', 'name_unique', 'ttl']);
    expect(indexes.find((i) => i.name === 'ttl')?.expireAfterSeconds).toBe(3600);
    // The unique index was rebuilt, not only listed.
    const dup = await again
      .collection('users')
      .insertOne({ name: 'u0' })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(MongoServerError);
    expect((dup as MongoServerError).code).toBe(11000);
  });

  it('a failed write of an ordered insertMany keeps the documents before it, after a restart too', async () => {
    const dir = dataDir();
    const first = await start(dir);
    const coll = first.client.db('app').collection('c');
    await coll.insertOne({ _id: 3 } as never);
    const err = await coll
      .insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }, { _id: 4 }] as never[])
      .catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(11000);
    await stop(first);
    const second = await start(dir);
    const ids = (await second.client.db('app').collection('c').find().toArray()).map((d) => d._id);
    expect(ids).toEqual([3, 1, 2]);
  });

  it('refuses a data folder written in another format, and leaves it untouched', async () => {
    const dir = dataDir();
    const first = await start(dir);
    await first.client.db('app').collection('c').insertOne({ a: 1 });
    await stop(first);
    const raw = new Database(join(dir, DATA_FILE));
    raw
      .prepare("UPDATE meta SET value = 'chat-embedded-mongo-sqlite/999' WHERE key = 'format'")
      .run();
    raw.close();
    const error = await startEmbeddedMongo({ dataDir: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirError);
    expect((error as Error).message).toContain('chat-embedded-mongo-sqlite/999');
    const check = new Database(join(dir, DATA_FILE), { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM docs').get()).toEqual({ n: 1 });
    check.close();
  });

  it('refuses a file that is not a database, and a folder another server holds', async () => {
    const junk = dataDir();
    writeFileSync(
      join(junk, DATA_FILE),
      'not a database at all, but long enough to be read'.repeat(20),
    );
    await expect(startEmbeddedMongo({ dataDir: junk })).rejects.toBeInstanceOf(DataDirError);

    const dir = dataDir();
    await start(dir);
    await expect(startEmbeddedMongo({ dataDir: dir })).rejects.toBeInstanceOf(DataDirError);
  });
});

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** Starts the CLI as its own process (so it can be SIGKILLed) and resolves with its url. */
async function spawnCli(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@chat/source', '--import', 'tsx', cli, '--port', '0', '--data-dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`cli exited ${code}: ${stderr}`)));
  });
  return { child, url };
}

describe('SIGKILL of the durable server process', () => {
  it('loses no acknowledged insert or update (8 concurrent writers)', async () => {
    const dir = dataDir();
    const first = await spawnCli(dir);
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    const client = new MongoClient(first.url, {
      serverSelectionTimeoutMS: 2000,
      retryWrites: false,
    });
    await client.connect();
    const coll = client.db('app').collection<{ _id: string; w: number; i: number }>('m');
    const counters = client.db('app').collection<{ _id: number; n: number }>('counters');
    const acked: string[] = [];
    const ackedIncs = new Map<number, number>();
    let killed = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !killed; i++) {
        try {
          await coll.insertOne({ _id: `${w}-${i}`, w, i });
          acked.push(`${w}-${i}`);
          await counters.updateOne({ _id: w }, { $inc: { n: 1 } }, { upsert: true });
          ackedIncs.set(w, (ackedIncs.get(w) ?? 0) + 1);
        } catch {
          return;
        }
        if (w === 0 && acked.length >= 400 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    });
    await Promise.all(writers);
    await exited;
    await client.close();

    const second = await spawnCli(dir);
    const after = new MongoClient(second.url, { serverSelectionTimeoutMS: 2000 });
    try {
      await after.connect();
      const stored = await after.db('app').collection('m').find().toArray();
      const storedIds = new Set(stored.map((d) => String(d._id)));
      expect(acked.length).toBeGreaterThanOrEqual(400);
      expect(acked.filter((id) => !storedIds.has(id))).toEqual([]);
      const counts = await after
        .db('app')
        .collection<{ _id: number; n: number }>('counters')
        .find()
        .toArray();
      for (const [w, n] of ackedIncs) {
        // An unacknowledged $inc may have committed just before the kill: at least, never less.
        expect(counts.find((c) => c._id === w)?.n).toBeGreaterThanOrEqual(n);
      }
    } finally {
      await after.close();
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
    }
  }, 60_000);
});
