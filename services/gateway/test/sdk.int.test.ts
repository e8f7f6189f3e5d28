import { createChatClient, createHttpClient, type ChatClient, type Message } from '@chat/client';
import { waitFor } from '@chat/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestCluster } from './fixtures/cluster.js';

const cluster = useTestCluster({ nodes: 2 });
const clients: ChatClient[] = [];

afterAll(async () => {
  for (const c of clients) c.close();
});

function client(token: string, node: number): ChatClient {
  const c = createChatClient({ url: cluster.nodes[node]!.url, token, transports: ['websocket'] });
  clients.push(c);
  return c;
}

describe('the SDK against real nodes', () => {
  it('delivers every message once, in seq order, and catches up after a dropped connection', async () => {
    const alice = await cluster.register('sdk_alice');
    const bob = await cluster.register('sdk_bob');
    const http = createHttpClient({ baseUrl: cluster.nodes[0]!.url, token: alice.token });
    const conv = await http.openDirect(bob.id);

    const sender = client(alice.token, 0);
    const receiver = client(bob.token, 1);
    const received: Message[] = [];
    receiver.on('message', (m) => {
      if (m.conversationId === conv.id) received.push(m);
    });
    await Promise.all([sender.connect(), receiver.connect()]);
    receiver.seedCursor(conv.id, 0);

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        sender.send({ conversationId: conv.id, text: `live ${i}` }),
      ),
    );
    await waitFor(() => received.length >= 20, { timeout: 10_000 });

    // A network drop: engine.io closes underneath the SDK, which reconnects by itself.
    const synced = new Promise<void>((resolve) => receiver.on('synced', () => resolve()));
    receiver.socket.io.engine.close();
    await waitFor(() => receiver.state !== 'connected', { timeout: 5000 });
    for (let i = 0; i < 5; i++)
      await sender.send({ conversationId: conv.id, text: `while away ${i}` });
    await synced;
    await waitFor(() => received.length >= 25, { timeout: 10_000 });

    expect(received.map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(new Set(received.map((m) => m.id)).size).toBe(25);
  });

  it('send() is idempotent: the same clientMsgId on two devices yields one message', async () => {
    const carol = await cluster.register('sdk_carol');
    const dave = await cluster.register('sdk_dave');
    const conv = await createHttpClient({
      baseUrl: cluster.nodes[1]!.url,
      token: carol.token,
    }).openDirect(dave.id);
    const deviceA = client(carol.token, 0);
    const deviceB = client(carol.token, 1);
    await Promise.all([deviceA.connect(), deviceB.connect()]);
    const [a, b] = await Promise.all([
      deviceA.send({ conversationId: conv.id, text: 'once', clientMsgId: 'dup-1' }),
      deviceB.send({ conversationId: conv.id, text: 'once', clientMsgId: 'dup-1' }),
    ]);
    expect(a.id).toBe(b.id);
    const history = await createHttpClient({
      baseUrl: cluster.nodes[0]!.url,
      token: dave.token,
    }).history(conv.id);
    expect(history.messages).toHaveLength(1);
  });
});
