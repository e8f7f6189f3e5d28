import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type MongoKind = 'external' | 'container' | 'embedded';

export interface MongoFixture {
  /** Connection string of the server (without a database name). */
  url: string;
  /** Unique per startMongo() call, so tests sharing a server never see each other's data. */
  databaseName: string;
  kind: MongoKind;
  /** Drops the test database on shared test servers; leaves an external server alone. */
  close(): Promise<void>;
}

interface SharedServer {
  url: string;
  kind: 'container' | 'embedded';
}

const DOCKER_PROBE_TIMEOUT_MS = 2_000;
let shared: Promise<SharedServer> | undefined;
let counter = 0;

function uniqueDatabaseName(): string {
  counter += 1;
  // MongoDB limits database names to 63 bytes; this stays near 30.
  return `test_${process.pid}_${counter}_${randomBytes(3).toString('hex')}`;
}

function dockerSocketCandidates(): string[] {
  return ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock')];
}

/**
 * True only when a Docker engine answers. Without DOCKER_HOST or a socket file it
 * returns at once without loading testcontainers (which would print its own probing).
 */
async function dockerAnswers(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !dockerSocketCandidates().some((path) => existsSync(path))) {
    return false;
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), DOCKER_PROBE_TIMEOUT_MS);
    });
    const probe = getContainerRuntimeClient().then(
      () => true,
      () => false,
    );
    const result = await Promise.race([probe, timeout]);
    clearTimeout(timer);
    return result;
  } catch {
    return false;
  }
}

async function startContainer(): Promise<SharedServer> {
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  // testcontainers' Ryuk sidecar removes the container when this process dies.
  const container = await new MongoDBContainer('mongo:7').start();
  const connection = container.getConnectionString();
  // The container is a single-node replica set announcing an in-container host name.
  const url = connection.includes('?')
    ? `${connection}&directConnection=true`
    : `${connection}/?directConnection=true`;
  return { url, kind: 'container' };
}

async function startEmbedded(): Promise<SharedServer> {
  const { startEmbeddedMongo } = await import('@chat/embedded-mongo');
  // Lives as long as this (vitest worker) process; nothing to persist.
  const server = await startEmbeddedMongo({ host: '127.0.0.1', port: 0 });
  return { url: server.url, kind: 'embedded' };
}

async function startShared(): Promise<SharedServer> {
  if (await dockerAnswers()) return startContainer();
  return startEmbedded();
}

async function dropDatabase(url: string, databaseName: string): Promise<void> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000 });
  try {
    await client.db(databaseName).dropDatabase();
  } catch {
    // Best effort: the server may already be gone at the end of a run.
  } finally {
    await client.close();
  }
}

/**
 * A MongoDB for one test (file): MONGO_URL when set, else a testcontainers MongoDB
 * when a Docker engine answers, else the embedded server. The server is shared per
 * process; every call gets its own database name.
 */
export async function startMongo(): Promise<MongoFixture> {
  const databaseName = uniqueDatabaseName();
  const external = process.env.MONGO_URL;
  if (external) {
    return { url: external, databaseName, kind: 'external', close: async () => undefined };
  }
  shared ??= startShared().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  const server = await shared;
  let closed = false;
  return {
    url: server.url,
    databaseName,
    kind: server.kind,
    async close() {
      if (closed) return;
      closed = true;
      await dropDatabase(server.url, databaseName);
    },
  };
}
