import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ChatError,
  createChatClient,
  type ChatClient,
  type ChatClientOptions,
  type ConnectionState,
} from '../src/index.js';
import type { Message } from '@chat/protocol';
import { CONV, message, startFakeGateway, until, type FakeGateway } from './fake-gateway.js';

let gw: FakeGateway;
const clients: ChatClient[] = [];

function client(options: Partial<ChatClientOptions> = {}): ChatClient {
  const c = createChatClient({
    url: gw.url,
    token: 'good',
    ackTimeoutMs: 2000,
    gapTimeoutMs: 200,
    ...options,
  });
  clients.push(c);
  return c;
}

function collect(c: ChatClient): { messages: Message[]; states: ConnectionState[] } {
  const out = { messages: [] as Message[], states: [] as ConnectionState[] };
  c.on('message', (m) => out.messages.push(m));
  c.on('state', (s) => out.states.push(s));
  return out;
}

const seqs = (ms: Message[]) => ms.map((m) => m.seq);

beforeEach(async () => {
  gw = await startFakeGateway();
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await gw.close();
});

describe('ChatClient against a Socket.IO server', () => {
  it('connects, resolves the session and reports state changes', async () => {
    const c = client();
    const seen = collect(c);
    const session = await c.connect();
    expect(session.nodeId).toBe('fake-1');
    expect(c.state).toBe('connected');
    expect(seen.states).toEqual(['connecting', 'connected']);
    c.close();
    expect(c.state).toBe('closed');
  });

  it('refuses a bad token: connect() rejects with UNAUTHENTICATED and the state is closed', async () => {
    const c = client({ token: 'bad' });
    await expect(c.connect()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(c.state).toBe('closed');
  });

  it('asks getToken for every handshake', async () => {
    let calls = 0;
    const c = client({ token: undefined, getToken: () => (++calls, 'good') });
    await c.connect();
    gw.sockets()[0]?.disconnect(true);
    await until(() => calls >= 2 && c.state === 'connected', 'second handshake');
  });

  it('request() resolves ack data and turns { ok: false } into ChatError', async () => {
    gw.handle('presence:query', (_s, _p, ack) => ack({ ok: true, presence: [] }));
    gw.handle('message:edit', (_s, _p, ack) =>
      ack({ ok: false, error: { code: 'EDIT_WINDOW_CLOSED', message: 'too late' } }),
    );
    const c = client();
    await c.connect();
    await expect(c.request('presence:query', { userIds: [] })).resolves.toEqual({ presence: [] });
    const err = await c
      .request('message:edit', { messageId: CONV, text: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 'EDIT_WINDOW_CLOSED', message: 'too late' });
  });

  it('request() times out with code TIMEOUT when no ack comes', async () => {
    gw.handle('typing:start', () => undefined);
    const c = client();
    await c.connect();
    await expect(
      c.request('typing:start', { conversationId: CONV }, { timeoutMs: 150 }),
    ).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });

  it('delivers out-of-order live messages in seq order and drops duplicates', async () => {
    const c = client();
    const seen = collect(c);
    c.seedCursor(CONV, 0);
    await c.connect();
    const s = gw.sockets()[0];
    for (const seq of [2, 1, 1, 3]) s?.emit('message:new', { message: message(seq) });
    await until(() => seen.messages.length === 3, '3 messages');
    expect(seqs(seen.messages)).toEqual([1, 2, 3]);
  });

  it('starts an unknown conversation at the seq its conversation:updated reports', async () => {
    const c = client();
    const seen = collect(c);
    await c.connect();
    const s = gw.sockets()[0];
    // A new group announced at seq 0, whose first two messages arrive from two nodes out of order.
    s?.emit('conversation:updated', {
      conversation: {
        id: CONV,
        type: 'group',
        members: [],
        createdAt: new Date().toISOString(),
        seq: 0,
        readSeq: 0,
        unreadCount: 0,
      },
    });
    for (const seq of [2, 1]) s?.emit('message:new', { message: message(seq) });
    await until(() => seen.messages.length === 2, '2 messages');
    expect(seqs(seen.messages)).toEqual([1, 2]);
  });

  it('syncs a gap that does not fill and delivers in order', async () => {
    gw.handle('sync', (_s, payload, ack) => {
      const { cursors } = payload as { cursors: { conversationId: string; seq: number }[] };
      const after = cursors[0]?.seq ?? 0;
      const messages = [1, 2, 3, 4].filter((n) => n > after).map((n) => message(n));
      ack({
        ok: true,
        conversations: [{ conversationId: CONV, messages, hasMore: false, seq: 4, readSeq: 0 }],
        changed: [],
      });
    });
    const c = client();
    const seen = collect(c);
    await c.connect();
    c.seedCursor(CONV, 1);
    gw.sockets()[0]?.emit('message:new', { message: message(4) });
    await until(() => seen.messages.length === 3, 'gap sync');
    expect(seqs(seen.messages)).toEqual([2, 3, 4]);
    expect(gw.received.filter((r) => r.event === 'sync')[0]?.payload).toMatchObject({
      cursors: [{ conversationId: CONV, seq: 1 }],
    });
  });

  it('send() retries with the same clientMsgId after a lost ack and returns the message', async () => {
    let calls = 0;
    gw.handle('message:send', (_s, payload, ack) => {
      calls++;
      if (calls === 1) return; // ack lost
      const { clientMsgId } = payload as { clientMsgId: string };
      ack({ ok: true, message: message(1, { clientMsgId }) });
    });
    const c = client({ ackTimeoutMs: 200 });
    const seen = collect(c);
    await c.connect();
    const m = await c.send({ conversationId: CONV, text: 'hi' });
    const sends = gw.received.filter((r) => r.event === 'message:send');
    expect(sends).toHaveLength(2);
    const ids = sends.map((r) => (r.payload as { clientMsgId: string }).clientMsgId);
    expect(ids[0]).toBe(ids[1]);
    expect(m.clientMsgId).toBe(ids[0]);
    // The acked own message advances the cursor and is delivered once.
    expect(c.cursor(CONV)).toBe(1);
    gw.sockets()[0]?.emit('message:new', { message: message(1) });
    gw.sockets()[0]?.emit('message:new', { message: message(2) });
    await until(() => seen.messages.length === 2, 'own + next');
    expect(seqs(seen.messages)).toEqual([1, 2]);
  });

  it('send() survives a disconnect: resends after reconnect, then a catch-up sync runs', async () => {
    let calls = 0;
    gw.handle('message:send', (socket, payload, ack) => {
      calls++;
      if (calls === 1) {
        socket.disconnect(true); // the node dropped us mid-request
        return;
      }
      ack({
        ok: true,
        message: message(5, { clientMsgId: (payload as { clientMsgId: string }).clientMsgId }),
      });
    });
    gw.handle('sync', (_s, _p, ack) => ack({ ok: true, conversations: [], changed: [] }));
    const c = client();
    const seen = collect(c);
    c.seedCursor(CONV, 4);
    await c.connect();
    const m = await c.send({ conversationId: CONV, text: 'x', clientMsgId: 'fixed-id' });
    expect(m.seq).toBe(5);
    const sends = gw.received.filter((r) => r.event === 'message:send');
    expect(sends.map((r) => (r.payload as { clientMsgId: string }).clientMsgId)).toEqual([
      'fixed-id',
      'fixed-id',
    ]);
    expect(new Set(sends.map((r) => r.socketId)).size).toBe(2);
    expect(seen.states).toContain('reconnecting');
    await until(
      () => gw.received.filter((r) => r.event === 'sync').length >= 2,
      'sync on both connects',
    );
  });

  it('send() stops at a non-retryable error', async () => {
    gw.handle('message:send', (_s, _p, ack) =>
      ack({ ok: false, error: { code: 'FORBIDDEN', message: 'blocked' } }),
    );
    const c = client();
    await c.connect();
    await expect(c.send({ conversationId: CONV, text: 'x' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(gw.received.filter((r) => r.event === 'message:send')).toHaveLength(1);
  });

  it('after a reconnect, syncs every cursor and delivers missed messages and changed conversations', async () => {
    const changed = {
      id: CONV,
      type: 'group',
      title: 'T',
      members: [],
      createdAt: message(1).createdAt,
      seq: 9,
      readSeq: 0,
      unreadCount: 9,
    };
    gw.handle('sync', (_s, payload, ack) => {
      const after = (payload as { cursors: { seq: number }[] }).cursors[0]?.seq ?? 0;
      const messages = [7, 8, 9].filter((n) => n > after).map((n) => message(n));
      ack({
        ok: true,
        conversations: [{ conversationId: CONV, messages, hasMore: false, seq: 9, readSeq: 0 }],
        changed: [changed],
      });
    });
    const c = client();
    const seen = collect(c);
    const conversations: unknown[] = [];
    c.on('conversation', (conv) => conversations.push(conv));
    c.seedCursor(CONV, 6);
    await c.connect();
    await until(() => seen.messages.length === 3, 'first-connect sync');
    gw.sockets()[0]?.disconnect(true);
    await until(() => gw.received.filter((r) => r.event === 'sync').length === 2, 'reconnect sync');
    expect(gw.received.filter((r) => r.event === 'sync')[1]?.payload).toMatchObject({
      cursors: [{ conversationId: CONV, seq: 9 }],
    });
    expect(seqs(seen.messages)).toEqual([7, 8, 9]);
    expect(conversations.length).toBeGreaterThanOrEqual(1);
  });

  it('on server:draining, disconnects and reconnects within the window', async () => {
    const c = client();
    const seen = collect(c);
    await c.connect();
    const first = gw.sockets()[0]?.id;
    gw.sockets()[0]?.emit('server:draining', { reconnectAfterMs: 100 });
    await until(
      () => seen.states.includes('reconnecting') && c.state === 'connected',
      'reconnected',
    );
    expect(gw.sockets().map((s) => s.id)).not.toContain(first);
  });

  it('renewToken sends auth:renew and uses the new token for the next handshake', async () => {
    gw.handle('auth:renew', (_s, _p, ack) => ack({ ok: true, exp: 123 }));
    gw.tokens.add('fresh');
    const c = client();
    await c.connect();
    await expect(c.renewToken('fresh')).resolves.toEqual({ exp: 123 });
    gw.tokens.delete('good');
    gw.sockets()[0]?.disconnect(true);
    await until(
      () => c.state === 'connected' && gw.sockets().length === 1,
      'reconnect with fresh token',
    );
    expect(gw.received.find((r) => r.event === 'auth:renew')?.payload).toEqual({ token: 'fresh' });
  });

  it('close() fails a send that waits for a connection with CLOSED', async () => {
    const c = client();
    await c.connect();
    gw.tokens.clear();
    gw.sockets()[0]?.disconnect(true);
    await until(() => c.state !== 'connected', 'disconnect');
    const pending = c.send({ conversationId: CONV, text: 'x' });
    c.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
