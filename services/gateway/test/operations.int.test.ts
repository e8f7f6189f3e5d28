import type { Conversation, Message } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { io as connectSocket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ack, startTestCluster, type ClientSocket, type TestCluster } from './fixtures/cluster.js';
import { startProcessNode, type ProcessNode } from './fixtures/processes.js';

/* Operations (metrics, drain, outages): /metrics, graceful drain (in-flight acks finish), Redis outage → UNAVAILABLE and recovery. */

let cluster: TestCluster;
const processNodes: ProcessNode[] = [];
let counter = 0;
const name = (prefix: string) => `${prefix}${++counter}_${process.pid % 1000}`;

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 2 });
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(processNodes.map((n) => n.stop()));
  await cluster?.close();
});

async function direct(aToken: string, bId: string): Promise<Conversation> {
  const res = await cluster.http<Conversation>(0, 'POST', '/api/conversations/direct', {
    token: aToken,
    body: { userId: bId },
  });
  expect([200, 201]).toContain(res.status);
  return res.body;
}

async function metricsOf(node: number): Promise<string> {
  const res = await fetch(`${cluster.nodes[node]?.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return res.text();
}

/** The value of one sample line, e.g. `chat_connected_sockets` or `name{label="x"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  it('counts events, times sends, sees sockets, queue depth and the cross-node probe', async () => {
    const a = await cluster.register(name('ma'));
    const b = await cluster.register(name('mb'));
    const conv = await direct(a.token, b.id);
    const sa = await cluster.connect(a, 0);
    await cluster.connect(b, 1);
    const before =
      sample(await metricsOf(0), 'chat_socket_events_total{event="message:send",result="ok"}') ?? 0;
    const sent = await ack(sa, 'message:send', {
      conversationId: conv.id,
      clientMsgId: name('m'),
      text: 'hi',
    });
    expect(sent.ok).toBe(true);
    const bad = await ack(sa, 'message:send', { conversationId: conv.id });
    expect(bad.ok).toBe(false);

    const text = await metricsOf(0);
    expect(sample(text, 'chat_socket_events_total{event="message:send",result="ok"}')).toBe(
      before + 1,
    );
    expect(
      sample(text, 'chat_socket_events_total{event="message:send",result="VALIDATION_FAILED"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'chat_message_send_ack_seconds_count{result="ok"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(sample(text, 'chat_connected_sockets')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'chat_offline_queue_jobs{state="pending"}')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'chat_dependency_up{dependency="redis"}')).toBe(1);
    expect(text).toContain('process_cpu_seconds_total');
    // Nodes probe each other through the adapter every 5 s.
    await waitFor(
      async () => (sample(await metricsOf(1), 'chat_cross_node_fanout_seconds_count') ?? 0) > 0,
      {
        timeout: 12_000,
        message: 'a fan-out probe from node-1',
      },
    );
  }, 30_000);
});

describe('graceful drain', () => {
  it('SIGTERM: readyz 503 at once, draining hint, new sessions refused, every in-flight send acked, exit 0', async () => {
    const node = await startProcessNode('drain-1', { ...cluster.env, DRAIN_TIMEOUT: '15s' });
    processNodes.push(node);
    const a = await cluster.register(name('da'));
    const b = await cluster.register(name('db'));
    const conv = await direct(a.token, b.id);
    const socket: ClientSocket = connectSocket(node.url, {
      auth: { token: a.token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    try {
      await waitForEvent(socket, 'session', { timeout: 10_000 });
      const hint = waitForEvent<{ reconnectAfterMs: number }>(socket, 'server:draining', {
        timeout: 10_000,
      });
      const ids = Array.from({ length: 40 }, () => name('d'));
      const acks = ids.map((clientMsgId) =>
        ack<{ message: Message }>(socket, 'message:send', {
          conversationId: conv.id,
          clientMsgId,
          text: clientMsgId,
        }),
      );
      process.kill(node.process.pid, 'SIGTERM');
      expect((await hint).reconnectAfterMs).toBeGreaterThan(0);
      // New connections are refused (so nginx moves on); one that gets through sees 503.
      const ready = await fetch(`${node.url}/readyz`).then(
        (r) => r.status,
        () => 'refused',
      );
      expect([503, 'refused']).toContain(ready);
      // A client arriving now is refused: the balancer must send it elsewhere.
      const late = connectSocket(node.url, {
        auth: { token: b.token },
        transports: ['polling'],
        reconnection: false,
        forceNew: true,
      });
      const refused = await waitForEvent<Error>(late, 'connect_error', { timeout: 5_000 });
      late.close();
      expect(refused).toBeInstanceOf(Error);

      const results = await Promise.all(acks);
      expect(results.filter((r) => !r.ok)).toEqual([]);
      const exit = await waitFor(() => node.process.exitInfo, {
        timeout: 15_000,
        message: 'drained node exits',
      });
      expect(exit?.code).toBe(0);
      const history = await cluster.http<{ messages: Message[] }>(
        0,
        'GET',
        `/api/conversations/${conv.id}/messages?limit=100`,
        { token: b.token },
      );
      const stored = new Set(history.body.messages.map((m) => m.clientMsgId));
      expect(ids.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      socket.close();
    }
  }, 45_000);
});

describe('Redis outage', () => {
  it('sends answer UNAVAILABLE (no hang), readyz 503, and everything works again when Redis returns', async () => {
    const a = await cluster.register(name('ra'));
    const b = await cluster.register(name('rb'));
    const conv = await direct(a.token, b.id);
    const sa = await cluster.connect(a, 0);
    const sb = await cluster.connect(b, 1);
    const reconnectsBefore = sample(await metricsOf(1), 'chat_adapter_reconnects_total') ?? 0;

    await cluster.redis.stop();
    const startedAt = Date.now();
    const failed = await ack(sa, 'message:send', {
      conversationId: conv.id,
      clientMsgId: name('r'),
      text: 'during',
    });
    expect(failed.ok).toBe(false);
    expect(failed.error?.code).toBe('UNAVAILABLE');
    expect(Date.now() - startedAt).toBeLessThan(8_000);
    const ready = await fetch(`${cluster.nodes[0]?.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await fetch(`${cluster.nodes[0]?.url}/healthz`)).status).toBe(200);

    await cluster.redis.restart();
    await waitFor(async () => (await fetch(`${cluster.nodes[1]?.url}/readyz`)).status === 200, {
      timeout: 15_000,
      message: 'node-2 ready again',
    });
    await waitFor(
      async () =>
        (sample(await metricsOf(1), 'chat_adapter_reconnects_total') ?? 0) > reconnectsBefore,
      {
        timeout: 15_000,
        message: 'the adapter subscriber reconnected',
      },
    );
    // Cross-node delivery works again: node-1's send reaches b on node-2 through the restored adapter.
    const received = waitForEvent<{ message: Message }>(sb, 'message:new', { timeout: 10_000 });
    const retry = await waitFor(
      async () => {
        const r = await ack(sa, 'message:send', {
          conversationId: conv.id,
          clientMsgId: name('r'),
          text: 'after',
        });
        return r.ok ? r : undefined;
      },
      { timeout: 15_000, interval: 250, message: 'a send succeeds after Redis returned' },
    );
    expect(retry?.ok).toBe(true);
    expect((await received).message.text).toBe('after');
  }, 60_000);
});
