import {
  createAuthSession,
  createChatClient,
  createHttpClient,
  isChatError,
  type AuthSession,
  type ChatClient,
  type TokenPair,
  type Conversation,
  type HttpClient,
  type Message,
  type User,
} from '@chat/client';
import { initialState, type AppState } from './types.js';
import { applyMessage, mergeConversation, mergeMessages } from './merge.js';
import { wireLiveEvents } from './live-events.js';
import { alertFor, askNotificationPermission, isMuted, titleFor } from './alerts.js';

const SESSION_KEY = 'chat.session';
const PAGE = 50;
/** A search hit further back than this many pages opens the chat without reaching it. */
const MAX_JUMP_PAGES = 40;

/** Human text for an error shown in the UI. */
export function describeError(err: unknown): string {
  if (isChatError(err)) return err.message || err.code;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The UI's one state container: owns the SDK clients, keeps an immutable `AppState`
 * and tells subscribers (the root component) when it changes.
 */
export class ChatStore {
  state: AppState = initialState;
  readonly http: HttpClient = createHttpClient({ baseUrl: location.origin });
  chat: ChatClient | undefined;
  session: AuthSession | undefined;
  #unwire: (() => void) | undefined;
  readonly #listeners = new Set<() => void>();
  readonly #readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #deliveredTimers = new Map<string, ReturnType<typeof setTimeout>>();

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(update: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void {
    const patch = typeof update === 'function' ? update(this.state) : update;
    this.state = { ...this.state, ...patch };
    this.#notify();
  }

  #notify(): void {
    const title = titleFor(this.state.conversations);
    if (document.title !== title) document.title = title;
    for (const l of this.#listeners) l();
  }

  /** Replaces the whole state (sign-out): `set` merges, so it could not drop `me`. */
  reset(patch: Partial<AppState> = {}): void {
    this.state = { ...initialState, ...patch };
    this.#notify();
  }

  toast(text: string): void {
    this.set({ toast: text });
    setTimeout(() => {
      if (this.state.toast === text) this.set({ toast: undefined });
    }, 4000);
  }

  // ------------------------------------------------------------------ session

  /**
   * Restores the tab's session after a reload. The tokens live in sessionStorage: one tab is one
   * device session, so two tabs never race to rotate the same refresh token (a second use of
   * one revokes the session, docs/PROTOCOL.md#section-7).
   */
  async resume(): Promise<boolean> {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (!raw) return false;
    try {
      const tokens = JSON.parse(raw) as Partial<TokenPair>;
      if (typeof tokens.accessToken !== 'string' || typeof tokens.refreshToken !== 'string')
        throw new Error('old session format');
      const session = this.#openSession({
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
      });
      const me = await this.http.me(); // a 401 refreshes once (the tab may have slept for hours)
      await this.#start(me, session);
      return true;
    } catch {
      this.#closeSession();
      sessionStorage.removeItem(SESSION_KEY);
      return false;
    }
  }

  async login(
    username: string,
    password: string,
    register: boolean,
    displayName?: string,
  ): Promise<void> {
    const res = register
      ? await this.http.register({ username, password, ...(displayName ? { displayName } : {}) })
      : await this.http.login({ username, password });
    const session = this.#openSession(res);
    await this.#start(res.user, session);
  }

  /** Signs this device out on the server too. */
  logout(): void {
    void this.session?.logout();
    this.#teardown();
    this.reset();
  }

  #teardown(): void {
    this.#unwire?.();
    this.chat?.close();
    this.chat = undefined;
    this.#closeSession();
    sessionStorage.removeItem(SESSION_KEY);
    this.http.setToken(undefined);
  }

  #openSession(tokens: TokenPair): AuthSession {
    this.#closeSession();
    const session = createAuthSession({ baseUrl: location.origin, tokens });
    const save = (pair: TokenPair) =>
      sessionStorage.setItem(
        SESSION_KEY,
        JSON.stringify({ accessToken: pair.accessToken, refreshToken: pair.refreshToken }),
      );
    save(tokens);
    session.on('tokens', save);
    // Revoked from another device, reused, or expired: back to the login page, which says so.
    // Drafts are in localStorage and come back after signing in again.
    session.on('expired', () => {
      if (this.session !== session) return;
      this.#teardown();
      this.reset({ sessionEnded: true });
    });
    this.session = session;
    this.http.setSession(session);
    return session;
  }

  #closeSession(): void {
    this.session?.close();
    this.session = undefined;
    this.http.setSession(undefined);
  }

  async #start(me: User, session: AuthSession): Promise<void> {
    this.set({ me, sessionEnded: false, blocked: {} });
    const chat = createChatClient({ url: location.origin, session });
    this.chat = chat;
    const unwire = wireLiveEvents(this, chat);
    // Messages that arrived while the tab was hidden are read when the person comes back.
    const onVisible = () => {
      if (document.visibilityState === 'visible' && this.state.activeId)
        this.markReadSoon(this.state.activeId);
    };
    document.addEventListener('visibilitychange', onVisible);
    this.#unwire = () => {
      unwire();
      document.removeEventListener('visibilitychange', onVisible);
    };
    await Promise.all([this.refreshConversations(), this.#loadBlocked()]);
    void chat.connect().catch((err: unknown) => this.toast(describeError(err)));
    void this.loadNotifications();
  }

  /** Whom this user blocked, from the server: the same on every device and after a reload. */
  async #loadBlocked(): Promise<void> {
    try {
      const users = await this.http.blockedUsers();
      this.set({ blocked: Object.fromEntries(users.map((u) => [u.id, true as const])) });
    } catch (err) {
      this.toast(describeError(err));
    }
  }

  // ------------------------------------------------------------ conversations

  async refreshConversations(): Promise<void> {
    const { conversations } = await this.http.listConversations({ limit: 100 });
    const all: Record<string, Conversation> = {};
    for (const c of conversations) {
      all[c.id] = mergeConversation(this.state.conversations[c.id], c);
      // The list tells the SDK where each conversation stands, so live messages after it
      // are delivered and nothing is skipped (client README, "Tell the SDK where you are").
      if (this.chat?.cursor(c.id) === undefined) this.chat?.seedCursor(c.id, c.seq);
      if (c.seq > 0) this.markDelivered(c.id, c.seq);
    }
    this.set({ conversations: all });
  }

  upsertConversation(c: Conversation): void {
    if (this.chat?.cursor(c.id) === undefined) this.chat?.seedCursor(c.id, c.seq);
    // `presence` events only flow between people who share a conversation, so someone new
    // to us needs one query to get a dot at all.
    const unknown = c.members
      .map((m) => m.userId)
      .filter((id) => id !== this.state.me?.id && !this.state.presence[id]);
    if (unknown.length > 0) void this.queryPresence(unknown);
    this.set((s) => ({
      conversations: { ...s.conversations, [c.id]: mergeConversation(s.conversations[c.id], c) },
    }));
  }

  removeConversation(id: string): void {
    this.set((s) => {
      const { [id]: _gone, ...rest } = s.conversations;
      return { conversations: rest, activeId: s.activeId === id ? undefined : s.activeId };
    });
  }

  open(id: string | undefined): void {
    this.set({ activeId: id });
    if (id === undefined) return;
    const list = this.state.messages[id];
    if (!list?.loaded) void this.loadOlder(id, true);
    this.markReadSoon(id);
  }

  /**
   * Opens a search hit: the conversation, with pages loaded back from the newest until the
   * message is among them (the list stays one contiguous run of history), then it is flashed.
   */
  async jumpTo(conversationId: string, seq: number): Promise<void> {
    if (!this.state.conversations[conversationId]) {
      this.upsertConversation(await this.http.getConversation(conversationId));
    }
    this.open(conversationId);
    for (let pages = 0; pages < MAX_JUMP_PAGES; pages++) {
      await this.#settled(conversationId);
      const list = this.state.messages[conversationId];
      if (!list || list.items.some((m) => m.seq === seq) || !list.hasMore) break;
      await this.loadOlder(conversationId);
    }
    this.set({ highlight: { conversationId, seq } });
  }

  /** Resolves once the conversation's list was fetched and no page is loading. */
  #settled(conversationId: string): Promise<void> {
    const done = () => {
      const list = this.state.messages[conversationId];
      return !!list && list.loaded && !list.loading;
    };
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const stop = this.subscribe(() => {
        const list = this.state.messages[conversationId];
        // A failed first page leaves loaded false and loading false: give up rather than hang.
        if (done() || (list && !list.loading && !list.loaded)) {
          stop();
          resolve();
        }
      });
    });
  }

  async openDirect(userId: string): Promise<void> {
    const c = await this.http.openDirect(userId);
    this.upsertConversation(c);
    this.open(c.id);
  }

  async createGroup(title: string, memberIds: string[]): Promise<void> {
    const c = await this.http.createGroup({ title, memberIds });
    this.upsertConversation(c);
    this.open(c.id);
  }

  // ----------------------------------------------------------------- messages

  /** Loads the newest page (`first`) or the page before the oldest loaded message. */
  async loadOlder(conversationId: string, first = false): Promise<void> {
    const current = this.state.messages[conversationId];
    if (current?.loading || (!first && current && !current.hasMore)) return;
    this.#setList(conversationId, { loading: true });
    try {
      const oldest = first ? undefined : current?.items[0]?.seq;
      const page = await this.http.history(conversationId, {
        limit: PAGE,
        ...(oldest !== undefined ? { before: oldest } : {}),
      });
      this.set((s) => {
        const list = s.messages[conversationId];
        const items = mergeMessages(list?.items ?? [], page.messages);
        return {
          messages: {
            ...s.messages,
            [conversationId]: {
              items,
              hasMore: first && list?.loaded ? (list.hasMore ?? page.hasMore) : page.hasMore,
              loading: false,
              loaded: true,
            },
          },
        };
      });
      this.markReadSoon(conversationId);
    } catch (err) {
      this.#setList(conversationId, { loading: false });
      this.toast(describeError(err));
    }
  }

  #setList(conversationId: string, patch: Partial<AppState['messages'][string]>): void {
    this.set((s) => {
      const list = s.messages[conversationId] ?? {
        items: [],
        hasMore: false,
        loading: false,
        loaded: false,
      };
      return { messages: { ...s.messages, [conversationId]: { ...list, ...patch } } };
    });
  }

  /** A message arrived (live, synced, or our own acked send). */
  receive(m: Message): void {
    const me = this.state.me?.id;
    this.set((s) => applyMessage(s, m, me));
    if (!this.state.conversations[m.conversationId]) {
      void this.http.getConversation(m.conversationId).then(
        (c) => this.upsertConversation(c),
        () => undefined,
      );
    }
    if (m.senderId !== me) {
      this.markDelivered(m.conversationId, m.seq);
      if (this.state.activeId === m.conversationId) this.markReadSoon(m.conversationId);
      this.#alert(m);
    }
  }

  /** Live messages only: a catch-up after a reconnect would ring for every old message. */
  #alert(m: Message): void {
    const c = this.state.conversations[m.conversationId];
    const me = this.state.me;
    // A system line ("Ann added Bob") is no reason to ring.
    if (m.kind === 'system') return;
    if (!c || !me || m.seq <= c.readSeq || Date.now() - Date.parse(m.createdAt) > 60_000) return;
    const sender = c.members.find((x) => x.userId === m.senderId)?.user;
    const senderName = sender?.displayName ?? sender?.username ?? 'Someone';
    const title = c.type === 'group' ? (c.title ?? 'Group') : senderName;
    alertFor(
      m,
      {
        conversation: c,
        senderName,
        title,
        mentionsMe: m.mentions?.includes(me.id) ?? false,
        onOpen: () => this.open(c.id),
      },
      { activeId: this.state.activeId, hidden: document.visibilityState === 'hidden' },
    );
  }

  /** A contact (or this user on another device) changed name or avatar: every copy follows. */
  userUpdated(user: User): void {
    this.set((s) => {
      const conversations: typeof s.conversations = {};
      for (const [id, c] of Object.entries(s.conversations)) {
        conversations[id] = c.members.some((m) => m.userId === user.id)
          ? {
              ...c,
              members: c.members.map((m) =>
                m.userId === user.id
                  ? {
                      ...m,
                      user: {
                        id: user.id,
                        username: user.username,
                        displayName: user.displayName,
                        ...(user.avatarUrl ? { avatarUrl: user.avatarUrl } : {}),
                      },
                    }
                  : m,
              ),
            }
          : c;
      }
      return { conversations, ...(s.me?.id === user.id ? { me: user } : {}) };
    });
  }

  /** docs/PROTOCOL.md#section-7: `until` an ISO time, 'forever', or null to unmute. */
  async setMute(conversationId: string, until: string | null): Promise<void> {
    try {
      this.upsertConversation(await this.http.setMute(conversationId, until));
    } catch (err) {
      this.toast(describeError(err));
    }
  }

  isBlocked(userId: string): boolean {
    return this.state.blocked[userId] === true;
  }

  /** Block or unblock (docs/PROTOCOL.md#section-2): either way, neither side can send in the direct chat. */
  async setBlocked(userId: string, blocked: boolean): Promise<void> {
    try {
      if (blocked) await this.http.block(userId);
      else await this.http.unblock(userId);
      const { [userId]: _was, ...rest } = this.state.blocked;
      this.set({ blocked: blocked ? { ...rest, [userId]: true } : rest });
    } catch (err) {
      this.toast(describeError(err));
    }
  }

  /** Owner: make a member an admin or back (docs/PROTOCOL.md#section-2); the answer may not carry the group. */
  async setRole(conversationId: string, userId: string, role: 'admin' | 'member'): Promise<void> {
    const c = await this.http.setRole(conversationId, userId, role);
    this.upsertConversation(c?.members ? c : await this.http.getConversation(conversationId));
  }

  /** Owner: closes the group for everyone; its members get `conversation:removed`. */
  async closeGroup(conversationId: string): Promise<void> {
    await this.http.deleteConversation(conversationId);
    this.removeConversation(conversationId);
  }

  /**
   * The chat holds an unread `@mention` of this user: a loaded message past the read cursor that
   * names them, or an unread `mention` notification while the chat still has unread messages.
   */
  hasUnreadMention(conversationId: string): boolean {
    const c = this.state.conversations[conversationId];
    const me = this.state.me?.id;
    if (!c || !me || c.unreadCount === 0) return false;
    const loaded = this.state.messages[conversationId]?.items ?? [];
    if (loaded.some((m) => m.seq > c.readSeq && m.mentions?.includes(me))) return true;
    return this.state.notifications.some(
      (n) => n.type === 'mention' && !n.read && n.data?.['conversationId'] === conversationId,
    );
  }

  isMuted(conversationId: string): boolean {
    return isMuted(this.state.conversations[conversationId]);
  }

  /** The first send is a gesture of the person: the moment to ask for desktop notifications. */
  noteSent(): void {
    askNotificationPermission();
  }

  markDelivered(conversationId: string, _seq: number): void {
    if (this.#deliveredTimers.has(conversationId)) return;
    this.#deliveredTimers.set(
      conversationId,
      setTimeout(() => {
        this.#deliveredTimers.delete(conversationId);
        const seq = this.state.conversations[conversationId]?.seq ?? _seq;
        this.chat
          ?.request('conversation:delivered', { conversationId, seq })
          .catch(() => undefined);
      }, 150),
    );
  }

  /** Moves the read cursor when the user can see the conversation (visible tab, open chat). */
  markReadSoon(conversationId: string): void {
    if (this.#readTimers.has(conversationId)) return;
    this.#readTimers.set(
      conversationId,
      setTimeout(() => {
        this.#readTimers.delete(conversationId);
        const conv = this.state.conversations[conversationId];
        if (
          !conv ||
          this.state.activeId !== conversationId ||
          document.visibilityState !== 'visible'
        )
          return;
        const newest = this.state.messages[conversationId]?.items.at(-1)?.seq ?? 0;
        const seq = Math.max(conv.seq, newest);
        if (seq <= conv.readSeq && conv.unreadCount === 0) return;
        this.set((s) => {
          const c = s.conversations[conversationId];
          return c
            ? {
                conversations: {
                  ...s.conversations,
                  [c.id]: { ...c, readSeq: Math.max(c.readSeq, seq), unreadCount: 0 },
                },
              }
            : {};
        });
        this.chat?.request('conversation:read', { conversationId, seq }).catch(() => undefined);
      }, 250),
    );
  }

  async queryPresence(userIds: string[]): Promise<void> {
    if (userIds.length === 0 || !this.chat) return;
    try {
      const { presence } = await this.chat.request('presence:query', {
        userIds: userIds.slice(0, 200),
      });
      this.set((s) => {
        const next = { ...s.presence };
        for (const p of presence)
          next[p.userId] = { online: p.online, ...(p.lastSeen ? { lastSeen: p.lastSeen } : {}) };
        return { presence: next };
      });
    } catch {
      // Presence is decoration: without it the dots stay grey.
    }
  }

  async loadNotifications(): Promise<void> {
    try {
      const notifications = await this.http.notifications({ limit: 50 });
      this.set({ notifications });
    } catch {
      // Notifications are optional for the chat itself; the bell stays empty.
    }
  }
}
