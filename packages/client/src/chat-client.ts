import { io, type Socket } from 'socket.io-client';
import { ChatError } from './errors.js';
import { Emitter } from './emitter.js';
import { newClientMsgId } from './client-msg-id.js';
import { Sequencer } from './sequencer.js';
import { CatchUp } from './catch-up.js';
import { emitWithAck } from './emit-with-ack.js';
import { backoffMs, sleep } from './timing.js';
import type {
  AckData,
  ClientToServerEvents,
  Conversation,
  Message,
  RequestEvent,
  RequestPayload,
  ServerToClientEvents,
  SessionEvent,
} from './protocol-types.js';
import type { AuthSession } from './auth-session.js';
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
  'user:updated',
  'error',
  'server:draining',
] as const;

// A token getter that keeps producing refused tokens must not loop forever.
const MAX_AUTH_FAILURES = 3;

export class ChatClient {
  readonly #opts: Required<
    Pick<ChatClientOptions, 'ackTimeoutMs' | 'maxSendRetries' | 'syncLimit'>
  > &
    ChatClientOptions;
  readonly #socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly #events: Emitter<ChatClientEvents>;
  readonly #sequencer: Sequencer<Message>;
  readonly #catchUp: CatchUp;
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
      onGap: (conversationId, seq) => void this.#catchUp.gap(conversationId, seq),
    });
    this.#catchUp = new CatchUp({
      sequencer: this.#sequencer,
      sync: (cursors) => this.request('sync', { cursors, limit: this.#opts.syncLimit }),
      onConversation: (c) => this.#noteConversation(c),
      onSynced: (info) => this.#events.emit('synced', info),
      log: this.#log,
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
    if (options.session) this.#wireSession(options.session);
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
    if (this.#opts.session !== undefined) this.#token = await this.#opts.session.validAccessToken();
    else if (this.#opts.getToken !== undefined) this.#token = await this.#opts.getToken();
    return this.#token;
  }

  #wireSession(session: AuthSession): void {
    session.on('tokens', ({ accessToken }) => {
      this.#token = accessToken;
      if (this.#state !== 'connected') return; // the next handshake takes it
      this.request('auth:renew', { token: accessToken }).catch((err: unknown) => {
        // The server disconnects at expiry; the reconnect then uses the new token anyway.
        this.#log?.warn({ err }, 'auth:renew failed');
      });
    });
    session.on('expired', (error) => {
      this.#events.emit('connect_error', error);
      this.#rejectSession(error);
      this.close();
    });
  }

  /** A refused handshake with a session: one refresh, then a retry; a dead session closes. */
  #refreshAndRetry(session: AuthSession): void {
    session.refresh().then(
      () => this.#scheduleReconnect(backoffMs(this.#retryAttempt++, 100, 2000)),
      (err: unknown) => {
        if (session.expired) return; // 'expired' closed the client
        this.#log?.warn({ err }, 'refresh after refused handshake failed');
        this.#scheduleReconnect(backoffMs(this.#retryAttempt++, 500, 10_000));
      },
    );
  }

  #wireSocket(): void {
    const s = this.#socket;
    s.on('connect', () => {
      this.#authFailures = 0;
      this.#retryAttempt = 0;
      this.#setState('connected');
      // A first connect only needs a sync when the app seeded cursors; after any outage always.
      const cursors = this.#sequencer.cursors();
      if (this.#everConnected || cursors.length > 0) void this.#syncAfterConnect();
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
      const session = this.#opts.session;
      if (unauth && session !== undefined && this.#authFailures < MAX_AUTH_FAILURES) {
        this.#refreshAndRetry(session);
        return;
      }
      if (
        unauth &&
        ((this.#opts.getToken === undefined && this.#opts.session === undefined) ||
          this.#authFailures >= MAX_AUTH_FAILURES)
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
    s.on('conversation:updated', ({ conversation }) => this.#noteConversation(conversation));
    s.on('conversation:removed', ({ conversationId }) => {
      this.#sequencer.forget(conversationId);
    });
    for (const name of PASSTHROUGH) {
      // Each name's payload type matches ChatClientEvents[name] (same ServerToClientEvents entry).
      s.on(name, ((payload: never) => this.#events.emit(name, payload)) as never);
    }
  }

  /**
   * A conversation the SDK has no cursor for starts at the seq it reports: without this,
   * the first live message would become the start point, and a lower seq delivered a
   * moment later by another node would be dropped as old.
   */
  #noteConversation(conversation: Conversation): void {
    if (this.#sequencer.cursor(conversation.id) === undefined) {
      this.#sequencer.seed(conversation.id, conversation.seq);
    }
    this.#events.emit('conversation', conversation);
  }

  #emit<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    timeoutMs: number,
  ): Promise<AckData<E>> {
    return emitWithAck(
      this.#socket as unknown as Socket,
      event,
      payload,
      timeoutMs,
      this.#inFlight,
    );
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

  /** Catch-up after a connect; retried while connected, since nothing else would fetch what was missed. */
  async #syncAfterConnect(): Promise<void> {
    for (let attempt = 0; this.#state === 'connected'; attempt++) {
      try {
        await this.#catchUp.all();
        return;
      } catch (err) {
        this.#log?.warn({ err, attempt }, 'sync after connect failed');
        if (err instanceof ChatError && !err.retryable) return;
        await sleep(backoffMs(attempt, 500, 10_000));
      }
    }
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
