import { startMongo } from '@chat/testkit';
import { afterAll, beforeAll } from 'vitest';
import { connectMongo, type MongoStore } from '../src/index.js';

type MongoServer = Awaited<ReturnType<typeof startMongo>>;

/**
 * One Mongo (MONGO_URL, a container, or the embedded server) and one fresh database
 * per test file, with indexes ensured (`sharded`: MONGO_SHARDED's index set and proxy);
 * closed after the file.
 */
export function useStore(options: { sharded?: boolean } = {}): {
  readonly store: MongoStore;
  readonly server: MongoServer;
} {
  let store: MongoStore | undefined;
  let server: MongoServer | undefined;
  beforeAll(async () => {
    server = await startMongo();
    store = await connectMongo({ url: server.url, dbName: server.databaseName, ...options });
    await store.ensureIndexes();
  });
  afterAll(async () => {
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
    await server?.close();
  });
  return {
    get store() {
      if (!store) throw new Error('store not started');
      return store;
    },
    get server() {
      if (!server) throw new Error('mongo not started');
      return server;
    },
  };
}
