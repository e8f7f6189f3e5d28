import { HttpTransport, type HttpClientOptions } from './http-transport.js';
import type {
  Attachment,
  AuthResponse,
  Notification,
  RefreshResponse,
  Session,
  User,
  UserWithPresence,
} from './protocol-types.js';
import type { TokenSource } from './token-source.js';

const enc = encodeURIComponent;

/** The account side of the HTTP API: sign-in, users, devices, uploads and notifications. */
export class HttpAccountApi {
  protected readonly http: HttpTransport;

  constructor(options: HttpClientOptions) {
    this.http = new HttpTransport(options);
  }

  get token(): string | undefined {
    return this.http.token;
  }

  setToken(token: string | undefined): void {
    this.http.setToken(token);
  }

  /** Uses (or with `undefined` stops using) refreshing tokens; see `HttpClientOptions.session`. */
  setSession(session: TokenSource | undefined): void {
    this.http.setSession(session);
  }

  // ---- auth ----
  /** `deviceName` names the session in the devices list (the server guesses one otherwise). */
  async register(body: {
    username: string;
    password: string;
    displayName?: string;
    deviceName?: string;
  }): Promise<AuthResponse> {
    const res = await this.http.call<AuthResponse>('POST', '/api/auth/register', {
      json: body,
      anonymous: true,
    });
    this.http.setToken(res.accessToken);
    return res;
  }

  async login(body: {
    username: string;
    password: string;
    deviceName?: string;
  }): Promise<AuthResponse> {
    const res = await this.http.call<AuthResponse>('POST', '/api/auth/login', {
      json: body,
      anonymous: true,
    });
    this.http.setToken(res.accessToken);
    return res;
  }

  /** Rotates: the refresh token given stops working (docs/PROTOCOL.md#section-7). Does not change `token`. */
  refresh(refreshToken: string): Promise<RefreshResponse> {
    return this.http.call('POST', '/api/auth/refresh', {
      json: { refreshToken },
      anonymous: true,
    });
  }

  async logout(refreshToken: string): Promise<void> {
    await this.http.call('POST', '/api/auth/logout', { json: { refreshToken }, anonymous: true });
  }

  // ---- users ----
  me(): Promise<User> {
    return this.http.call('GET', '/api/users/me');
  }

  /** Display name and/or avatar (`avatarAttachmentId` of your image upload, `avatarUrl: null` removes it). */
  updateMe(patch: {
    displayName?: string;
    avatarAttachmentId?: string;
    avatarUrl?: null;
  }): Promise<User> {
    return this.http.call('PATCH', '/api/users/me', { json: patch });
  }

  // ---- sessions (devices) ----
  async sessions(): Promise<Session[]> {
    return (await this.http.call<{ sessions: Session[] }>('GET', '/api/users/me/sessions'))
      .sessions;
  }

  /** Signs that device out; its sockets are disconnected. */
  async revokeSession(sessionId: string): Promise<void> {
    await this.http.call('DELETE', `/api/users/me/sessions/${enc(sessionId)}`);
  }

  async revokeOtherSessions(): Promise<void> {
    await this.http.call('DELETE', '/api/users/me/sessions', { query: { others: true } });
  }

  /** Every other device is signed out. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    await this.http.call('POST', '/api/users/me/password', {
      json: { currentPassword, newPassword },
    });
  }

  async searchUsers(query: string, options: { limit?: number } = {}): Promise<User[]> {
    const res = await this.http.call<{ users: User[] }>('GET', '/api/users', {
      query: { query, limit: options.limit },
    });
    return res.users;
  }

  getUser(userId: string): Promise<UserWithPresence> {
    return this.http.call('GET', `/api/users/${enc(userId)}`);
  }

  async block(userId: string): Promise<void> {
    await this.http.call('POST', `/api/users/${enc(userId)}/block`);
  }

  async unblock(userId: string): Promise<void> {
    await this.http.call('DELETE', `/api/users/${enc(userId)}/block`);
  }

  /** The users you blocked, most recent first (the same answer on every device). */
  async blockedUsers(): Promise<User[]> {
    return (await this.http.call<{ users: User[] }>('GET', '/api/users/me/blocks')).users;
  }

  // ---- uploads ----
  /** Multipart upload of one file (a `File`, or a `Blob` plus a name). */
  async upload(file: Blob, name?: string): Promise<Attachment> {
    const form = new FormData();
    const fileName =
      name ?? (typeof File !== 'undefined' && file instanceof File ? file.name : 'file');
    form.append('file', file, fileName);
    const res = await this.http.call<{ attachment: Attachment }>('POST', '/api/uploads', { form });
    return res.attachment;
  }

  // ---- notifications ----
  async notifications(options: { unread?: boolean; limit?: number } = {}): Promise<Notification[]> {
    const res = await this.http.call<{ notifications: Notification[] }>(
      'GET',
      '/api/notifications',
      {
        query: { ...options },
      },
    );
    return res.notifications;
  }

  async markNotificationsRead(which: { ids: string[] } | { all: true }): Promise<void> {
    await this.http.call('POST', '/api/notifications/read', { json: which });
  }
}
