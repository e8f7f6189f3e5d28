import { afterAll, beforeAll } from 'vitest';
import { MongoClient, type Db } from 'mongodb';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/index.js';

export interface MongoFixture {
  client: MongoClient;
  db: Db;
  url: string;
  /** True when the suite runs against a real MongoDB (MONGO_URL), i.e. as the parity proof. */
  real: boolean;
}

/**
 * Connects to MONGO_URL when set (parity run against a real MongoDB), otherwise starts the embedded
 * server for this file. Each file gets its own database, dropped afterwards.
 */
export function useMongo(prefix: string): MongoFixture {
  const state = {} as MongoFixture;
  let server: EmbeddedMongo | undefined;
  beforeAll(async () => {
    let url = process.env.MONGO_URL;
    state.real = Boolean(url);
    if (!url) {
      server = await startEmbeddedMongo();
      url = server.url;
    }
    state.url = url;
    state.client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
    await state.client.connect();
    state.db = state.client.db(`${prefix}_${process.pid}_${Date.now().toString(36)}`);
  });
  afterAll(async () => {
    await state.db?.dropDatabase();
    await state.client?.close();
    await server?.close();
  });
  return state;
}

/** Polls until the check returns a truthy value or the timeout elapses. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
