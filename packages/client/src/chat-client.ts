import { io, type Socket } from 'socket.io-client';
import { ChatError } from './errors.js';
import { Emitter } from './emitter.js';
import { newClientMsgId } from './client-msg-id.js';
import { Sequencer } from './sequencer.js';
import { backoffMs, sleep } from './timing.js';
import type {
  AckData,
  ClientToServerEvents,
  Message,
  RequestEvent,
  RequestPayload,
  ServerToClientEvents,
  SessionEvent,
  SyncCursor,
} from './protocol-types.js';
import type {
  ChatClientEvents,
  ChatClientOptions,
  ChatLogger,
  ConnectionState,
  RequestOptions,
  SendInput,
} from './chat-client-types.js';

// Server events handed to the app unchanged (message:new goes through the sequencer).
const PASSTHROUGH = [
  'message:updated',
  'message:reactions',
  'receipt',
  'typing',
  'presence',
  'conversation:updated',
  'conversation:removed',
  'notification:new',
  'error',
  'server:draining',
] as const;

// PROTOCOL §3 allows ≤ 1000 cursors per sync (LIMITS.syncMaxCursors).
const SYNC_MAX_CURSORS = 1000;
// A token getter that keeps producing refused tokens must not loop forever.
const MAX_AUTH_FAILURES = 3;

// emit() with a generic event name defeats socket.io's overloads; the public
// `request` signature keeps callers typed.
type LooseEmit = (event: string, payload: unknown, ack: (response: unknown) => void) => void;

export class ChatClient {
  readonly #opts: Required<
    Pick<ChatClientOptions, 'ackTimeoutMs' | 'maxSendRetries' | 'syncLimit'>
  > &
    ChatClientOptions;
  readonly #socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly #events: Emitter<ChatClientEvents>;
  readonly #sequencer: Sequencer<Message>;
  readonly #log: ChatLogger | undefined;
  #token: string | undefined;
  #state: ConnectionState = 'closed';
  #session: SessionEvent | undefined;
  #everConnected = false;
  #authFailures = 0;
  #retryAttempt = 0;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called on every state change; waiters resolve or reject themselves. */
  readonly #stateWaiters = new Set<() => void>();
  /** In-flight requests to fail when the socket drops. */
  readonly #inFlight = new Set<(error: ChatError) => void>();
  #sessionWaiters: { resolve: (s: SessionEvent) => void; reject: (e: ChatError) => void }[] = [];

  constructor(options: ChatClientOptions) {
    this.#opts = { ackTimeoutMs: 10_000, maxSendRetries: 5, syncLimit: 100, ...options };
    this.#log = options.logger;
    this.#token = options.token;
    this.#events = new Emitter<ChatClientEvents>((err, event) =>
      this.#handlerError(err, String(event)),
    );
    this.#sequencer = new Sequencer<Message>({
      gapTimeoutMs: options.gapTimeoutMs ?? 1000,
      deliver: (m) => this.#events.emit('message', m),
      onGap: (conversationId, seq) => void this.#syncGap(conversationId, seq),
    });
    this.#socket = io(options.url, {
      transports: options.transports ?? ['websocket', 'polling'],
      // Several clients in one process (bots, tests) must not share one connection.
      forceNew: true,
      ...options.socketOptions,
      autoConnect: false,
      auth: (cb) => {
        this.#handshakeToken().then(
          (token) => cb({ token }),
          (err: unknown) => {
            this.#log?.warn({ err }, 'getToken failed; handshake without token');
            cb({});
          },
        );
      },
    });
    this.#wireSocket();
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The last `session` of the server (userId, nodeId), once connected. */
  get session(): SessionEvent | undefined {
    return this.#session;
  }

  /** The underlying socket.io-client socket, for what the SDK does not cover. */
  get socket(): Socket<ServerToClientEvents, ClientToServerEvents> {
    return this.#socket;
  }

  on<K extends keyof ChatClientEvents>(event: K, handler: ChatClientEvents[K]): () => void {
    return this.#events.on(event, handler);
  }

  off<K extends keyof ChatClientEvents>(event: K, handler: ChatClientEvents[K]): void {
    this.#events.off(event, handler);
  }

  /** Opens the connection; resolves with the server's `session`, rejects if it is refused for good. */
  connect(): Promise<SessionEvent> {
    const session = new Promise<SessionEvent>((resolve, reject) => {
      this.#sessionWaiters.push({ resolve, reject });
    });
    if (this.#state === 'closed') {
      this.#authFailures = 0;
      this.#setState('connecting');
      this.#socket.connect();
    } else if (this.#state === 'connected' && this.#session !== undefined) {
      this.#settleSession(this.#session);
    }
    return session;
  }

  /** Closes for good (until `connect()` again). Pending requests and sends fail with `CLOSED`. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#clearReconnectTimer();
    this.#setState('closed');
    this.#socket.disconnect();
    this.#failInFlight(new ChatError({ code: 'CLOSED', message: 'Client closed' }));
    this.#sequencer.close();
    this.#rejectSession(new ChatError({ code: 'CLOSED', message: 'Client closed' }));
  }

  /**
   * Emits `event` with an ack. Waits for a connection first (within the same timeout).
   * Resolves with the ack data; throws `ChatError` from `{ ok: false, error }`,
   * `TIMEOUT`, `DISCONNECTED` (dropped while waiting for the ack) or `CLOSED`.
   */
  async request<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options: RequestOptions = {},
  ): Promise<AckData<E>> {
    const timeoutMs = options.timeoutMs ?? this.#opts.ackTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    await this.#whenConnected(deadline, event);
    return this.#emit(event, payload, Math.max(1, deadline - Date.now()));
  }

  /**
   * Sends a message; retries with the same `clientMsgId` (so the server stores it once)
   * after timeouts and disconnects (once reconnected), RATE_LIMITED and UNAVAILABLE,
   * up to `maxSendRetries`. Waiting for a reconnect does not count as a retry.
   */
  async send(input: SendInput): Promise<Message> {
    const payload = { ...input, clientMsgId: input.clientMsgId ?? newClientMsgId() };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#whenConnected(Number.POSITIVE_INFINITY, 'message:send');
        const { message } = await this.#emit('message:send', payload, this.#opts.ackTimeoutMs);
        this.#sequencer.push(message);
        return message;
      } catch (err) {
        if (!(err instanceof ChatError) || !err.retryable || attempt >= this.#opts.maxSendRetries)
          throw err;
        this.#log?.debug(
          { code: err.code, attempt, clientMsgId: payload.clientMsgId },
          'send retry',
        );
        if (err.code === 'RATE_LIMITED' || err.code === 'UNAVAILABLE') {
          await sleep(err.retryAfterMs ?? backoffMs(attempt));
        }
      }
    }
  }

  /** Renews the access token on the live connection (`auth:renew`); also used for later handshakes. */
  async renewToken(token: string): Promise<{ exp: number }> {
    this.#token = token;
    return this.request('auth:renew', { token });
  }

  /** Tells the SDK the app already has every message of the conversation up to `seq`. */
  seedCursor(conversationId: string, seq: number): void {
    this.#sequencer.seed(conversationId, seq);
  }

  /** The highest contiguous seq delivered for the conversation, if known. */
  cursor(conversationId: string): number | undefined {
    return this.#sequencer.cursor(conversationId);
  }

  // ---------------------------------------------------------------- internals

  async #handshakeToken(): Promise<string | undefined> {
    if (this.#opts.getToken !== undefined) this.#token = await this.#opts.getToken();
    return this.#token;
  }

  #wireSocket(): void {
    const s = this.#socket;
    s.on('connect', () => {
      this.#authFailures = 0;
      this.#retryAttempt = 0;
      this.#setState('connected');
      // A first connect only needs a sync when the app seeded cursors; after any outage always.
      const cursors = this.#sequencer.cursors();
      if (this.#everConnected || cursors.length > 0) void this.#syncAll();
      this.#everConnected = true;
    });
    s.on('session', (session) => {
      this.#session = session;
      this.#events.emit('session', session);
      this.#settleSession(session);
    });
    s.on('disconnect', (reason) => {
      const error = new ChatError({
        code: this.#state === 'closed' ? 'CLOSED' : 'DISCONNECTED',
        message: `Disconnected: ${reason}`,
      });
      this.#failInFlight(error);
      if (this.#state === 'closed' || reason === 'io client disconnect') return;
      this.#setState('reconnecting');
      // socket.io reconnects by itself except when the server closed the socket
      // (token expired, node draining without notice): then we do it, with jitter.
      if (reason === 'io server disconnect')
        this.#scheduleReconnect(backoffMs(this.#retryAttempt++, 250, 5000));
    });
    s.on('connect_error', (err: Error & { data?: unknown }) => {
      const unauth = err.message === 'UNAUTHENTICATED';
      const error = new ChatError({
        code: unauth ? 'UNAUTHENTICATED' : 'DISCONNECTED',
        message: err.message,
        details:
          typeof err.data === 'object' && err.data !== null
            ? (err.data as Record<string, unknown>)
            : undefined,
        cause: err,
      });
      this.#events.emit('connect_error', error);
      if (s.active) return; // transport-level failure: socket.io retries by itself
      if (unauth) this.#authFailures++;
      if (
        unauth &&
        (this.#opts.getToken === undefined || this.#authFailures >= MAX_AUTH_FAILURES)
      ) {
        this.#setState('closed');
        this.#failInFlight(error);
        this.#rejectSession(error);
        return;
      }
      // Refused by a middleware (e.g. a draining node): retry ourselves.
      this.#scheduleReconnect(backoffMs(this.#retryAttempt++, 250, 5000));
    });
    s.on('message:new', ({ message }) => {
      this.#sequencer.push(message);
    });
    s.on('server:draining', ({ reconnectAfterMs }) => {
      // Leave now and come back after a random share of the window, so the node's
      // sockets do not all land on the others at the same instant.
      this.#socket.disconnect();
      this.#setState('reconnecting');
      this.#scheduleReconnect(Math.random() * Math.max(0, reconnectAfterMs));
    });
    s.on('conversation:updated', ({ conversation }) => {
      this.#events.emit('conversation', conversation);
    });
    s.on('conversation:removed', ({ conversationId }) => {
      this.#sequencer.forget(conversationId);
    });
    for (const name of PASSTHROUGH) {
      // Each name's payload type matches ChatClientEvents[name] (same ServerToClientEvents entry).
      s.on(name, ((payload: never) => this.#events.emit(name, payload)) as never);
    }
  }

  #emit<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    timeoutMs: number,
  ): Promise<AckData<E>> {
    return new Promise<AckData<E>>((resolve, reject) => {
      const fail = (error: ChatError) => {
        clearTimeout(timer);
        this.#inFlight.delete(fail);
        reject(error);
      };
      const timer = setTimeout(
        () =>
          fail(
            new ChatError({ code: 'TIMEOUT', message: `${event}: no ack within ${timeoutMs} ms` }),
          ),
        timeoutMs,
      );
      this.#inFlight.add(fail);
      (this.#socket.emit as unknown as LooseEmit).call(
        this.#socket,
        event,
        payload,
        (response: unknown) => {
          if (!this.#inFlight.has(fail)) return; // already timed out or dropped
          clearTimeout(timer);
          this.#inFlight.delete(fail);
          const r = response as { ok?: unknown; error?: unknown } | null;
          if (r !== null && typeof r === 'object' && r.ok === true) {
            const { ok: _ok, ...data } = r;
            resolve(data as AckData<E>);
          } else if (r !== null && typeof r === 'object' && r.ok === false) {
            reject(ChatError.fromBody(r.error));
          } else {
            reject(
              new ChatError({
                code: 'BAD_RESPONSE',
                message: `${event}: malformed ack`,
                details: { response },
              }),
            );
          }
        },
      );
    });
  }

  /** Resolves once connected; rejects with CLOSED, or TIMEOUT after `deadline`. */
  #whenConnected(deadline: number, what: string): Promise<void> {
    if (this.#state === 'connected') return Promise.resolve();
    if (this.#state === 'closed') {
      return Promise.reject(
        new ChatError({ code: 'CLOSED', message: `${what}: client is closed` }),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#state === 'connected') {
          done();
          resolve();
        } else if (this.#state === 'closed') {
          done();
          reject(new ChatError({ code: 'CLOSED', message: `${what}: closed` }));
        }
      };
      const timer = Number.isFinite(deadline)
        ? setTimeout(
            () => {
              done();
              reject(new ChatError({ code: 'TIMEOUT', message: `${what}: not connected in time` }));
            },
            Math.max(0, deadline - Date.now()),
          )
        : undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.#stateWaiters.delete(check);
      };
      this.#stateWaiters.add(check);
    });
  }

  async #syncAll(): Promise<void> {
    let delivered = 0;
    const conversations = new Set<string>();
    let pending: SyncCursor[] = this.#sequencer.cursors();
    let first = true;
    try {
      while (first || pending.length > 0) {
        const batch = pending.slice(0, SYNC_MAX_CURSORS);
        const rest = pending.slice(SYNC_MAX_CURSORS);
        const more = await this.#syncOnce(batch, first, (id, n) => {
          conversations.add(id);
          delivered += n;
        });
        first = false;
        pending = [...rest, ...more];
      }
      this.#events.emit('synced', {
        reason: 'connect',
        messages: delivered,
        conversations: conversations.size,
      });
    } catch (err) {
      // The next reconnect syncs again; a gap timer covers what arrives meanwhile.
      this.#log?.warn({ err }, 'sync after connect failed');
    }
  }

  async #syncGap(conversationId: string, seq: number): Promise<void> {
    let delivered = 0;
    try {
      let pending: SyncCursor[] = [{ conversationId, seq }];
      while (pending.length > 0) {
        pending = await this.#syncOnce(pending, false, (_id, n) => (delivered += n));
      }
      this.#events.emit('synced', { reason: 'gap', messages: delivered, conversations: 1 });
    } catch (err) {
      this.#log?.warn({ err, conversationId }, 'gap sync failed; will retry');
      this.#sequencer.rearm(conversationId);
    }
  }

  /** One `sync` request; merges results and returns the cursors that have more. */
  async #syncOnce(
    cursors: SyncCursor[],
    emitChanged: boolean,
    count: (conversationId: string, delivered: number) => void,
  ): Promise<SyncCursor[]> {
    const res = await this.request('sync', { cursors, limit: this.#opts.syncLimit });
    const asked = new Set(cursors.map((c) => c.conversationId));
    const more: SyncCursor[] = [];
    for (const conv of res.conversations) {
      // Skip answers for conversations forgotten meanwhile (conversation:removed).
      if (
        !asked.has(conv.conversationId) ||
        this.#sequencer.cursor(conv.conversationId) === undefined
      )
        continue;
      const before = this.#sequencer.cursor(conv.conversationId) ?? 0;
      this.#sequencer.merge(conv.conversationId, conv.messages, {
        hasMore: conv.hasMore,
        seq: conv.seq,
      });
      const after = this.#sequencer.cursor(conv.conversationId) ?? before;
      count(
        conv.conversationId,
        conv.messages.filter((m) => m.seq > before && m.seq <= after).length,
      );
      if (conv.hasMore && conv.messages.length > 0)
        more.push({ conversationId: conv.conversationId, seq: after });
    }
    if (emitChanged) for (const c of res.changed) this.#events.emit('conversation', c);
    return more;
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    for (const waiter of [...this.#stateWaiters]) waiter();
    this.#events.emit('state', next, previous);
  }

  #scheduleReconnect(delayMs: number): void {
    this.#clearReconnectTimer();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state !== 'closed' && !this.#socket.connected) this.#socket.connect();
    }, delayMs);
  }

  #clearReconnectTimer(): void {
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
  }

  #failInFlight(error: ChatError): void {
    for (const fail of [...this.#inFlight]) fail(error);
  }

  #settleSession(session: SessionEvent): void {
    const waiters = this.#sessionWaiters;
    this.#sessionWaiters = [];
    for (const w of waiters) w.resolve(session);
  }

  #rejectSession(error: ChatError): void {
    const waiters = this.#sessionWaiters;
    this.#sessionWaiters = [];
    for (const w of waiters) w.reject(error);
  }

  #handlerError(err: unknown, event: string): void {
    if (this.#log !== undefined) {
      this.#log.error({ err, event }, 'ChatClient event handler threw');
      return;
    }
    // No logger: surface it like an uncaught error, but after the SDK's own bookkeeping.
    queueMicrotask(() => {
      throw err;
    });
  }
}

export function createChatClient(options: ChatClientOptions): ChatClient {
  return new ChatClient(options);
}
