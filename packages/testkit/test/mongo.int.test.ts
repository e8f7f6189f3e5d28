import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startMongo, type MongoFixture } from '../src/index.js';

describe('startMongo', () => {
  const fixtures: MongoFixture[] = [];
  const clients: MongoClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(fixtures.map((fixture) => fixture.close()));
  });

  async function open(): Promise<{ fixture: MongoFixture; client: MongoClient }> {
    const fixture = await startMongo();
    fixtures.push(fixture);
    const client = new MongoClient(fixture.url, { serverSelectionTimeoutMS: 5_000 });
    clients.push(client);
    await client.connect();
    return { fixture, client };
  }

  it('gives a working server and a unique database per call', async () => {
    const first = await open();
    const second = await open();
    expect(first.fixture.url).toBe(second.fixture.url);
    expect(first.fixture.databaseName).not.toBe(second.fixture.databaseName);
    if (!process.env.MONGO_URL) expect(['container', 'embedded']).toContain(first.fixture.kind);

    const a = first.client.db(first.fixture.databaseName).collection<{ n: number }>('items');
    const b = second.client.db(second.fixture.databaseName).collection<{ n: number }>('items');
    await a.insertOne({ n: 1 });
    expect(await a.countDocuments()).toBe(1);
    expect(await b.countDocuments()).toBe(0);
  });

  it('close() drops the test database on a shared server', async () => {
    const { fixture, client } = await open();
    if (fixture.kind === 'external') return;
    const db = client.db(fixture.databaseName);
    await db.collection('items').insertOne({ n: 1 });
    await fixture.close();
    expect(await db.collection('items').countDocuments()).toBe(0);
    await fixture.close();
  });

  it('uses MONGO_URL as an external server when it is set', async () => {
    const { fixture } = await open();
    const previous = process.env.MONGO_URL;
    process.env.MONGO_URL = fixture.url;
    try {
      const external = await startMongo();
      expect(external.kind).toBe('external');
      expect(external.url).toBe(fixture.url);
      await external.close();
    } finally {
      if (previous === undefined) delete process.env.MONGO_URL;
      else process.env.MONGO_URL = previous;
    }
  });
});
