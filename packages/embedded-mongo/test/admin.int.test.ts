import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../src/index.js';
import { useMongo } from './fixture.js';

const m = useMongo('em_admin');

describe('handshake and admin commands', () => {
  it('answers hello/ping/buildInfo like a standalone MongoDB 7', async () => {
    const admin = m.client.db('admin');
    const hello = await admin.command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, ok: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(17);
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(await admin.command({ isMaster: 1 })).toMatchObject({ ismaster: true });
    expect(await admin.command({ ping: 1 })).toMatchObject({ ok: 1 });
    const info = await admin.command({ buildInfo: 1 });
    expect(String(info.version)).toMatch(/^\d+\.\d+/);
    if (!m.real) expect(info.version).toBe('7.0.0');
    expect(await admin.command({ hostInfo: 1 })).toMatchObject({ ok: 1 });
    expect(await admin.command({ serverStatus: 1 })).toMatchObject({ ok: 1 });
  });

  it('answers unknown commands with CommandNotFound', async () => {
    await expect(m.db.command({ frobnicate: 1 })).rejects.toMatchObject({
      code: 59,
      codeName: 'CommandNotFound',
    });
  });

  it('rejects unknown query operators with BadValue', async () => {
    await m.db.collection('q').insertOne({ a: 1 });
    await expect(
      m.db
        .collection('q')
        .find({ a: { $frobnicate: 1 } })
        .toArray(),
    ).rejects.toMatchObject({ code: 2, codeName: 'BadValue' });
  });

  it('creates, lists and drops collections and databases', async () => {
    await m.db.createCollection('made');
    await expect(m.db.createCollection('made')).rejects.toMatchObject({
      code: 48,
      codeName: 'NamespaceExists',
    });
    await m.db.collection('implicit').insertOne({ x: 1 });
    const names = (await m.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['made', 'implicit']));
    const filtered = await m.db.listCollections({ name: 'made' }).toArray();
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toMatchObject({ name: 'made', type: 'collection' });
    expect(await m.db.collection('made').drop()).toBe(true);
    expect((await m.db.listCollections({ name: 'made' }).toArray()).length).toBe(0);

    const other = m.client.db(`${m.db.databaseName}_x`);
    await other.collection('c').insertOne({ a: 1 });
    const dbs = (await m.client.db('admin').admin().listDatabases()).databases.map((d) => d.name);
    expect(dbs).toContain(other.databaseName);
    await other.dropDatabase();
    const after = (await m.client.db('admin').admin().listDatabases()).databases.map((d) => d.name);
    expect(after).not.toContain(other.databaseName);
  });
});

describe('embedded server lifecycle', () => {
  it('closes idempotently and destroys open connections', async () => {
    const server = await startEmbeddedMongo();
    expect(server.url).toBe(`mongodb://127.0.0.1:${server.port}/?directConnection=true`);
    const client = new MongoClient(server.url, { serverSelectionTimeoutMS: 1000 });
    await client.connect();
    await client.db('x').collection('y').insertOne({ a: 1 });
    await Promise.all([server.close(), server.close()]);
    await expect(client.db('x').collection('y').findOne({}, { timeoutMS: 1500 })).rejects.toThrow();
    await client.close();
  });

  it('runs as a CLI that prints its url and exits on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=@chat/source', '--import', 'tsx', cli, '--port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 2000 });
      await client.connect();
      expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
      await client.close();
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
