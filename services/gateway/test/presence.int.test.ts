import type { Presence } from '@chat/protocol';
import { waitFor, waitForEvent, type ManagedProcess } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.js';
import {
  openDirect,
  ack,
  collect,
  startTestCluster,
  type ClientSocket,
  type TestCluster,
  type TestUser,
} from './fixtures/cluster.js';
import {
  connectTo,
  startProcessNode,
  startWorker,
  type ProcessNode,
} from './fixtures/processes.js';

/*
 * Short intervals so crash detection fits a test: engine.io pings every second, leases
 * live 4 s, the worker sweeps every 0.5 s. Production defaults are checked separately.
 */
const TTL_MS = 4000;
const SWEEP_MS = 500;
const GRACE_MS = 800;
const ENV = {
  PING_INTERVAL: '1000',
  PING_TIMEOUT: '2000',
  PRESENCE_TTL_MS: String(TTL_MS),
  PRESENCE_FLUSH_MS: '300',
  PRESENCE_GRACE_MS: String(GRACE_MS),
};

let cluster: TestCluster;
let worker: ManagedProcess;
const processNodes: ProcessNode[] = [];
const extraSockets: ClientSocket[] = [];
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2, env: ENV });
  worker = await startWorker({
    REDIS_URL: cluster.redis.url,
    MONGO_URL: cluster.env.MONGO_URL ?? '',
    MONGO_DB: cluster.env.MONGO_DB ?? '',
    PRESENCE_SWEEP_INTERVAL_MS: String(SWEEP_MS),
    PRESENCE_TTL_MS: String(TTL_MS),
  });
}, 60_000);
afterAll(async () => {
  for (const s of extraSockets) s.disconnect();
  await Promise.allSettled(processNodes.map((n) => n.stop()));
  await worker?.stop(5_000);
  await cluster?.close();
});

const direct = (a: TestUser, b: TestUser) => openDirect(cluster, a, b);

async function query(socket: ClientSocket, userIds: unknown): Promise<Presence[]> {
  const res = await ack<{ presence: Presence[] }>(socket, 'presence:query', { userIds });
  expect(res.ok, JSON.stringify(res.error)).toBe(true);
  return res.presence;
}

const eventsAbout = (events: Presence[], userId: string) =>
  events.filter((e) => e.userId === userId);

describe('presence', () => {
  it('follows every device across nodes and tells contacts only: offline when the last device goes', async () => {
    const [alice, bob, carol, dave] = await Promise.all(
      ['alice', 'bob', 'carol', 'dave'].map((p) => cluster.register(name(p))),
    );
    if (!alice || !bob || !carol || !dave) throw new Error('register');
    await direct(alice, bob);
    await direct(dave, bob);
    const bobSocket = await cluster.connect(bob, 1);
    // carol shares nothing with alice: a stranger who must hear nothing.
    const carolSocket = await cluster.connect(carol, 0);
    const toBob = collect<Presence>(bobSocket, 'presence');
    const toCarol = collect<Presence>(carolSocket, 'presence');

    const phone = await cluster.connect(alice, 0);
    await waitFor(() => eventsAbout(toBob, alice.id).length === 1, {
      timeout: 5000,
      message: 'online event',
    });
    expect(eventsAbout(toBob, alice.id)[0]).toEqual({ userId: alice.id, online: true, devices: 1 });

    const laptop = await cluster.connect(alice, 1);
    await waitFor(async () => (await query(bobSocket, [alice.id]))[0]?.devices === 2, {
      timeout: 5000,
      message: 'two devices',
    });

    // dave's offline is the barrier: same node, same grace timer, started after alice's phone.
    const daveSocket = await cluster.connect(dave, 0);
    await waitFor(() => eventsAbout(toBob, dave.id).length === 1, {
      timeout: 5000,
      message: 'dave online',
    });
    phone.disconnect();
    daveSocket.disconnect();
    await waitFor(() => eventsAbout(toBob, dave.id).some((e) => !e.online), {
      timeout: 5000,
      message: 'dave offline',
    });
    expect(eventsAbout(toBob, alice.id)).toHaveLength(1);
    const [stillOnline] = await query(bobSocket, [alice.id]);
    expect(stillOnline).toMatchObject({ online: true, devices: 1 });

    const before = Date.now();
    laptop.disconnect();
    const offline = await waitFor(() => eventsAbout(toBob, alice.id).find((e) => !e.online), {
      timeout: 5000,
      message: 'alice offline',
    });
    if (!offline) throw new Error('unreachable: waitFor resolves with a truthy value');
    expect(offline).toMatchObject({ userId: alice.id, online: false, devices: 0 });
    const lastSeen = Date.parse(offline.lastSeen ?? '');
    expect(lastSeen).toBeGreaterThanOrEqual(before - 50);
    expect(lastSeen).toBeLessThanOrEqual(Date.now());
    // Stored in Mongo too, and served by the user profile.
    const profile = await cluster.http<{ presence: { online: boolean; lastSeen?: string } }>(
      1,
      'GET',
      `/api/users/${alice.id}`,
      {
        token: bob.token,
      },
    );
    expect(profile.body.presence).toEqual({ online: false, lastSeen: offline.lastSeen });
    expect(toCarol).toEqual([]);
  });

  it('does not flap when a device reconnects within the grace period', async () => {
    const [alice, bob, dave] = await Promise.all(
      ['alice', 'bob', 'dave'].map((p) => cluster.register(name(p))),
    );
    if (!alice || !bob || !dave) throw new Error('register');
    await direct(alice, bob);
    await direct(dave, bob);
    const bobSocket = await cluster.connect(bob, 1);
    const toBob = collect<Presence>(bobSocket, 'presence');
    const first = await cluster.connect(alice, 0);
    const daveSocket = await cluster.connect(dave, 0);
    await waitFor(() => toBob.length === 2, { timeout: 5000, message: 'both online' });

    // A page reload: the old connection closes, a new one opens on the other node at once.
    first.disconnect();
    await cluster.connect(alice, 1);
    daveSocket.disconnect();
    await waitFor(() => eventsAbout(toBob, dave.id).some((e) => !e.online), {
      timeout: 5000,
      message: 'dave offline',
    });
    expect(eventsAbout(toBob, alice.id).filter((e) => !e.online)).toEqual([]);
    expect((await query(bobSocket, [alice.id]))[0]).toMatchObject({ online: true, devices: 1 });
  });

  it('answers presence:query for up to 200 ids, strangers included, and rejects bad input', async () => {
    const [alice, stranger] = await Promise.all(
      ['alice', 'stranger'].map((p) => cluster.register(name(p))),
    );
    if (!alice || !stranger) throw new Error('register');
    const socket = await cluster.connect(alice, 0);
    const strangerSocket = await cluster.connect(stranger, 1);
    const unknownId = '0123456789abcdef01234567';
    const [s, u] = await query(socket, [stranger.id, unknownId, stranger.id]);
    expect(s).toEqual({
      userId: stranger.id,
      online: true,
      devices: 1,
      lastSeen: expect.any(String) as string,
    });
    expect(u).toEqual({ userId: unknownId, online: false, devices: 0 });

    const tooMany = await ack(socket, 'presence:query', {
      userIds: Array.from({ length: 201 }, () => unknownId),
    });
    expect(tooMany.ok).toBe(false);
    expect(tooMany.error?.code).toBe('VALIDATION_FAILED');
    const exactly200 = await ack<{ presence: Presence[] }>(socket, 'presence:query', {
      userIds: Array.from({ length: 200 }, (_, i) => i.toString(16).padStart(24, '0')),
    });
    expect(exactly200.ok).toBe(true);
    expect(exactly200.presence).toHaveLength(200);
    for (const bad of [[42], [{ $gt: '' }], ['not-an-id'], 'x', null]) {
      const res = await ack(socket, 'presence:query', { userIds: bad });
      expect(res.ok, JSON.stringify(bad)).toBe(false);
      expect(res.error?.code).toBe('VALIDATION_FAILED');
    }
    strangerSocket.disconnect();
  });

  it('announces offline with a sensible lastSeen when the node holding the only connection is killed -9', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((p) => cluster.register(name(p))));
    if (!alice || !bob) throw new Error('register');
    await direct(alice, bob);
    const doomed = await startProcessNode('doomed', cluster.env);
    processNodes.push(doomed);
    const bobSocket = await cluster.connect(bob, 0);
    // Filtered: with the sharded adapter a node delivers locally after its publish, so Bob's
    // own "online" may arrive after his session.
    // The timer runs from here, across Alice's first connection to a fresh process, which on
    // a loaded box alone can take most of 10 s.
    const online = waitForEvent<Presence>(bobSocket, 'presence', {
      timeout: 30_000,
      filter: (p) => p.userId === alice.id,
    });
    const connectedAt = Date.now();
    await connectTo(doomed.url, alice, extraSockets);
    expect(await online).toMatchObject({ userId: alice.id, online: true });
    // Let at least one heartbeat reach Redis, so lastSeen is a heartbeat, not the connect.
    await waitFor(
      async () =>
        Date.parse((await query(bobSocket, [alice.id]))[0]?.lastSeen ?? '') > connectedAt + 1000,
      {
        timeout: 10_000,
        message: 'a heartbeat refreshed lastSeen',
      },
    );

    const offline = waitForEvent<Presence>(bobSocket, 'presence', {
      timeout: TTL_MS + SWEEP_MS + 10_000,
    });
    const killedAt = Date.now();
    doomed.process.kill('SIGKILL');
    const event = await offline;
    const detectedAfterMs = Date.now() - killedAt;
    expect(event).toMatchObject({ userId: alice.id, online: false, devices: 0 });
    const lastSeen = Date.parse(event.lastSeen ?? '');
    // Accurate to the heartbeat: not after the crash, not older than one TTL before it.
    expect(lastSeen).toBeLessThanOrEqual(killedAt);
    expect(lastSeen).toBeGreaterThan(killedAt - TTL_MS);
    expect(detectedAfterMs).toBeLessThanOrEqual(TTL_MS + SWEEP_MS + 2000);
    expect((await query(bobSocket, [alice.id]))[0]).toMatchObject({ online: false, devices: 0 });
  }, 60_000);

  it('keeps the defaults within 60 s from crash to offline (TTL + worker sweep)', () => {
    const config = loadGatewayConfig({});
    const workerSweepDefaultMs = 10_000;
    expect(config.presence.ttlMs + workerSweepDefaultMs).toBeLessThanOrEqual(60_000);
    expect(config.presence.ttlMs).toBeGreaterThan(
      config.realtime.pingIntervalMs + config.presence.flushMs,
    );
    expect(() => loadGatewayConfig({ PRESENCE_TTL_MS: '20000' })).toThrow(/PRESENCE_TTL_MS/);
  });

  // Last: the restart empties Redis for everything else in this file (also the worker's sweep schedule).
  it('re-registers live connections when Redis comes back empty, within one heartbeat interval', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((p) => cluster.register(name(p))));
    if (!alice || !bob) throw new Error('register');
    await direct(alice, bob);
    await cluster.connect(alice, 0);
    await cluster.connect(alice, 1);
    const bobSocket = await cluster.connect(bob, 1);
    expect((await query(bobSocket, [alice.id]))[0]).toMatchObject({ online: true, devices: 2 });

    await cluster.redis.restart();
    const restartedAt = Date.now();
    await waitFor(
      async () => {
        const res = await ack<{ presence: Presence[] }>(bobSocket, 'presence:query', {
          userIds: [alice.id],
        }).catch(() => undefined);
        return res?.ok === true && res.presence[0]?.devices === 2;
      },
      { timeout: 10_000, interval: 100, message: 'presence restored after the Redis restart' },
    );
    // PING_INTERVAL is 1 s here; the re-registration runs on the client's reconnect, before any heartbeat.
    expect(Date.now() - restartedAt).toBeLessThan(5000);
  }, 30_000);
});
