import { ChatError, type ChatErrorCode } from './errors.js';
import { newClientMsgId } from './client-msg-id.js';
import type {
  Attachment,
  AuthResponse,
  Conversation,
  HistoryResponse,
  ListConversationsResponse,
  Message,
  MessageEdit,
  MessageReceiptsResponse,
  Notification,
  Reaction,
  RefreshResponse,
  SearchResponse,
  Session,
  User,
  UserWithPresence,
} from './protocol-types.js';
import type { TokenSource } from './token-source.js';

export interface HttpClientOptions {
  /** Origin of the cluster, e.g. `http://localhost:8080` (routes are under `/api`). */
  baseUrl: string;
  /** Access token; `register`/`login` set it, `setToken` replaces it. */
  token?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
  /**
   * Refreshing tokens (an `AuthSession`): its access token is used instead of `token`, and a 401
   * is retried once after a refresh (PROTOCOL §7).
   */
  session?: TokenSource;
}

export interface SendMessageInput {
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
  /** Idempotency key; generated when absent. Reuse it when retrying the same send. */
  clientMsgId?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestInit_ {
  query?: Query;
  json?: unknown;
  form?: FormData;
  /** Routes under /api/auth send no Authorization header. */
  anonymous?: boolean;
}

const enc = encodeURIComponent;

/** Typed wrapper of PROTOCOL §2. Every failure throws `ChatError`. */
export class HttpClient {
  readonly #baseUrl: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  #token: string | undefined;
  #session: TokenSource | undefined;

  constructor(options: HttpClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound call: browsers throw "Illegal invocation" when fetch loses its `this`.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#token = options.token;
    this.#session = options.session;
  }

  get token(): string | undefined {
    return this.#session?.accessToken ?? this.#token;
  }

  setToken(token: string | undefined): void {
    this.#token = token;
  }

  /** Uses (or with `undefined` stops using) refreshing tokens; see `HttpClientOptions.session`. */
  setSession(session: TokenSource | undefined): void {
    this.#session = session;
  }

  // ---- auth ----
  /** `deviceName` names the session in the devices list (the server guesses one otherwise). */
  async register(body: {
    username: string;
    password: string;
    displayName?: string;
    deviceName?: string;
  }): Promise<AuthResponse> {
    const res = await this.#call<AuthResponse>('POST', '/api/auth/register', {
      json: body,
      anonymous: true,
    });
    this.#token = res.accessToken;
    return res;
  }

  async login(body: {
    username: string;
    password: string;
    deviceName?: string;
  }): Promise<AuthResponse> {
    const res = await this.#call<AuthResponse>('POST', '/api/auth/login', {
      json: body,
      anonymous: true,
    });
    this.#token = res.accessToken;
    return res;
  }

  /** Rotates: the refresh token given stops working (PROTOCOL §7). Does not change `token`. */
  refresh(refreshToken: string): Promise<RefreshResponse> {
    return this.#call('POST', '/api/auth/refresh', { json: { refreshToken }, anonymous: true });
  }

  async logout(refreshToken: string): Promise<void> {
    await this.#call('POST', '/api/auth/logout', { json: { refreshToken }, anonymous: true });
  }

  // ---- users ----
  me(): Promise<User> {
    return this.#call('GET', '/api/users/me');
  }

  /** Display name and/or avatar (`avatarAttachmentId` of your image upload, `avatarUrl: null` removes it). */
  updateMe(patch: {
    displayName?: string;
    avatarAttachmentId?: string;
    avatarUrl?: null;
  }): Promise<User> {
    return this.#call('PATCH', '/api/users/me', { json: patch });
  }

  // ---- sessions (devices) ----
  async sessions(): Promise<Session[]> {
    return (await this.#call<{ sessions: Session[] }>('GET', '/api/users/me/sessions')).sessions;
  }

  /** Signs that device out; its sockets are disconnected. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.#call('DELETE', `/api/users/me/sessions/${enc(sessionId)}`);
  }

  async revokeOtherSessions(): Promise<void> {
    await this.#call('DELETE', '/api/users/me/sessions', { query: { others: true } });
  }

  /** Every other device is signed out. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.#call('POST', '/api/users/me/password', {
      json: { currentPassword, newPassword },
    });
  }

  async searchUsers(query: string, options: { limit?: number } = {}): Promise<User[]> {
    const res = await this.#call<{ users: User[] }>('GET', '/api/users', {
      query: { query, limit: options.limit },
    });
    return res.users;
  }

  getUser(userId: string): Promise<UserWithPresence> {
    return this.#call('GET', `/api/users/${enc(userId)}`);
  }

  async block(userId: string): Promise<void> {
    await this.#call('POST', `/api/users/${enc(userId)}/block`);
  }

  async unblock(userId: string): Promise<void> {
    await this.#call('DELETE', `/api/users/${enc(userId)}/block`);
  }

  /** The users you blocked, most recent first (the same answer on every device). */
  async blockedUsers(): Promise<User[]> {
    return (await this.#call<{ users: User[] }>('GET', '/api/users/me/blocks')).users;
  }

  // ---- conversations ----
  /** Get-or-create the one direct conversation with `userId`. */
  openDirect(userId: string): Promise<Conversation> {
    return this.#call('POST', '/api/conversations/direct', { json: { userId } });
  }

  createGroup(body: { title: string; memberIds: string[] }): Promise<Conversation> {
    return this.#call('POST', '/api/conversations/group', { json: body });
  }

  listConversations(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ListConversationsResponse> {
    return this.#call('GET', '/api/conversations', {
      query: { limit: options.limit, cursor: options.cursor },
    });
  }

  getConversation(conversationId: string): Promise<Conversation> {
    return this.#call('GET', `/api/conversations/${enc(conversationId)}`);
  }

  /**
   * Rename a group or change its photo (owner/admin): `avatarAttachmentId` of your image
   * upload sets it, `avatarUrl: null` removes it.
   */
  patchConversation(
    conversationId: string,
    body: { title?: string; avatarAttachmentId?: string; avatarUrl?: string | null },
  ): Promise<Conversation> {
    return this.#call('PATCH', `/api/conversations/${enc(conversationId)}`, { json: body });
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    return this.#call('POST', `/api/conversations/${enc(conversationId)}/members`, {
      json: { userIds },
    });
  }

  /** Owner/admin removes a member; `userId` = yourself leaves. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.#call('DELETE', `/api/conversations/${enc(conversationId)}/members/${enc(userId)}`);
  }

  /** The answer's body is returned as is (PROTOCOL §2 does not fix it; expected: the conversation). */
  setRole(
    conversationId: string,
    userId: string,
    role: 'admin' | 'member',
  ): Promise<Conversation | undefined> {
    return this.#call('PATCH', `/api/conversations/${enc(conversationId)}/members/${enc(userId)}`, {
      json: { role },
    });
  }

  /** Mutes for yourself until an ISO time, `'forever'`, or `null` to unmute (PROTOCOL §7). */
  setMute(conversationId: string, mutedUntil: string | null): Promise<Conversation> {
    return this.#call('PATCH', `/api/conversations/${enc(conversationId)}/members/me`, {
      json: { mutedUntil },
    });
  }

  async deleteConversation(conversationId: string): Promise<void> {
    await this.#call('DELETE', `/api/conversations/${enc(conversationId)}`);
  }

  // ---- messages ----
  /** `before` → newest first; `after` → oldest first (catch-up). */
  history(
    conversationId: string,
    options: { before?: number; after?: number; limit?: number } = {},
  ): Promise<HistoryResponse> {
    return this.#call('GET', `/api/conversations/${enc(conversationId)}/messages`, {
      query: { ...options },
    });
  }

  postMessage(conversationId: string, input: SendMessageInput): Promise<Message> {
    const body = { ...input, clientMsgId: input.clientMsgId ?? newClientMsgId() };
    return this.#call('POST', `/api/conversations/${enc(conversationId)}/messages`, { json: body });
  }

  async searchMessages(
    conversationId: string,
    q: string,
    options: { limit?: number } = {},
  ): Promise<Message[]> {
    const res = await this.#call<{ messages: Message[] }>(
      'GET',
      `/api/conversations/${enc(conversationId)}/messages/search`,
      { query: { q, limit: options.limit } },
    );
    return res.messages;
  }

  /** Who read / has a message (members other than its sender, PROTOCOL §7). */
  messageReceipts(conversationId: string, messageId: string): Promise<MessageReceiptsResponse> {
    return this.#call(
      'GET',
      `/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/receipts`,
    );
  }

  /** Every word of `q` across your conversations, newest first (PROTOCOL §7). */
  search(q: string, options: { limit?: number; cursor?: string } = {}): Promise<SearchResponse> {
    return this.#call('GET', '/api/search', {
      query: { q, limit: options.limit, cursor: options.cursor },
    });
  }

  // ---- HTTP forms of socket events (PROTOCOL §7), for bots without a socket ----
  /** Moves your read cursor forward (a lower seq is ignored); answers the cursor as stored. */
  async markRead(conversationId: string, seq: number): Promise<number> {
    const res = await this.#call<{ readSeq: number }>(
      'POST',
      `/api/conversations/${enc(conversationId)}/read`,
      { json: { seq } },
    );
    return res.readSeq;
  }

  async markDelivered(conversationId: string, seq: number): Promise<number> {
    const res = await this.#call<{ deliveredSeq: number }>(
      'POST',
      `/api/conversations/${enc(conversationId)}/delivered`,
      { json: { seq } },
    );
    return res.deliveredSeq;
  }

  /** Your own message, within the edit window. */
  editMessage(messageId: string, text: string): Promise<Message> {
    return this.#call('PATCH', `/api/messages/${enc(messageId)}`, { json: { text } });
  }

  async deleteMessage(messageId: string, scope: 'me' | 'everyone'): Promise<void> {
    await this.#call('DELETE', `/api/messages/${enc(messageId)}`, { query: { scope } });
  }

  /** Adding an emoji you already put there (or removing one you did not) changes nothing. */
  async react(messageId: string, emoji: string, op: 'add' | 'remove' = 'add'): Promise<Reaction[]> {
    const res = await this.#call<{ reactions: Reaction[] }>(
      'POST',
      `/api/messages/${enc(messageId)}/reactions`,
      { json: { emoji, op } },
    );
    return res.reactions;
  }

  /** Earlier versions of a message, oldest first (empty once deleted for everyone). */
  async messageEdits(messageId: string): Promise<MessageEdit[]> {
    const res = await this.#call<{ edits: MessageEdit[] }>(
      'GET',
      `/api/messages/${enc(messageId)}/edits`,
    );
    return res.edits;
  }

  // ---- uploads ----
  /** Multipart upload of one file (a `File`, or a `Blob` plus a name). */
  async upload(file: Blob, name?: string): Promise<Attachment> {
    const form = new FormData();
    const fileName =
      name ?? (typeof File !== 'undefined' && file instanceof File ? file.name : 'file');
    form.append('file', file, fileName);
    const res = await this.#call<{ attachment: Attachment }>('POST', '/api/uploads', { form });
    return res.attachment;
  }

  // ---- notifications ----
  async notifications(options: { unread?: boolean; limit?: number } = {}): Promise<Notification[]> {
    const res = await this.#call<{ notifications: Notification[] }>('GET', '/api/notifications', {
      query: { ...options },
    });
    return res.notifications;
  }

  async markNotificationsRead(which: { ids: string[] } | { all: true }): Promise<void> {
    await this.#call('POST', '/api/notifications/read', { json: which });
  }

  async #call<T>(method: string, path: string, init: RequestInit_ = {}): Promise<T> {
    const session = init.anonymous ? undefined : this.#session;
    try {
      return await this.#callOnce<T>(method, path, init);
    } catch (err) {
      // One retry after a refresh: the token may have expired in flight or the tab slept.
      if (!(session && err instanceof ChatError && err.code === 'UNAUTHENTICATED')) throw err;
      await session.refresh();
      return this.#callOnce<T>(method, path, init);
    }
  }

  async #callOnce<T>(method: string, path: string, init: RequestInit_): Promise<T> {
    const url = new URL(this.#baseUrl + path);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = this.token;
    if (!init.anonymous && token !== undefined) headers['authorization'] = `Bearer ${token}`;
    let body: string | FormData | undefined;
    if (init.form !== undefined) body = init.form;
    else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url.toString(), { method, headers, body, signal: controller.signal });
      text = await res.text();
    } catch (err) {
      const timedOut = controller.signal.aborted;
      throw new ChatError({
        code: timedOut ? 'TIMEOUT' : 'NETWORK',
        message: timedOut
          ? `${method} ${path} timed out after ${this.#timeoutMs} ms`
          : `${method} ${path} failed`,
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }

    let parsed: unknown;
    let parseError: unknown;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        parseError = err;
      }
    }
    if (!res.ok) throw errorFromResponse(res, parsed);
    if (parseError !== undefined) {
      throw new ChatError({
        code: 'BAD_RESPONSE',
        message: `${method} ${path}: answer is not JSON (HTTP ${res.status})`,
        status: res.status,
        cause: parseError,
      });
    }
    return parsed as T;
  }
}

// Answers that are not ours (an nginx 502 page, a proxy's 429) still get a code by status.
const CODE_BY_STATUS: Readonly<Record<number, ChatErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'UNAVAILABLE',
};

function errorFromResponse(res: Response, parsed: unknown): ChatError {
  const body = (parsed as { error?: unknown } | undefined)?.error;
  const fromBody = ChatError.fromBody(body, res.status);
  const retryAfter = Number(res.headers.get('retry-after'));
  const headerDetails =
    Number.isFinite(retryAfter) && retryAfter >= 0 && res.headers.get('retry-after') !== null
      ? { retryAfterMs: retryAfter * 1000 }
      : undefined;
  if (fromBody.code !== 'BAD_RESPONSE') {
    if (headerDetails === undefined || fromBody.retryAfterMs !== undefined) return fromBody;
    return new ChatError({
      code: fromBody.code,
      message: fromBody.message,
      status: res.status,
      details: { ...fromBody.details, ...headerDetails },
    });
  }
  return new ChatError({
    code: CODE_BY_STATUS[res.status] ?? (res.status >= 500 ? 'INTERNAL' : 'BAD_RESPONSE'),
    message: `HTTP ${res.status} ${res.statusText}`.trim(),
    status: res.status,
    details: headerDetails,
  });
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  return new HttpClient(options);
}
