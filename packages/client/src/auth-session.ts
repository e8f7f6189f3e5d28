import { ChatError } from './errors.js';
import { Emitter } from './emitter.js';
import { HttpClient } from './http-client.js';
import { jwtExpiryMs } from './jwt-expiry.js';
import type { TokenSource } from './token-source.js';
import { backoffMs } from './timing.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface AuthSessionOptions {
  /** Cluster origin, as for HttpClient. */
  baseUrl: string;
  /** From `login`/`register` (or a stored pair after a reload). */
  tokens: TokenPair;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Renew this long before the access token expires; never more than half its lifetime, so a
   * short-lived token is not renewed in a loop. @default 60000
   */
  renewBeforeMs?: number;
  /** Per refresh request. @default 15000 */
  timeoutMs?: number;
}

export interface AuthSessionEvents {
  /** New tokens: persist the pair, the old refresh token no longer works. */
  tokens: (tokens: TokenPair) => void;
  /** The refresh token was refused (revoked, expired, reused): sign in again. Final. */
  expired: (error: ChatError) => void;
}

/**
 * Keeps an access token alive with the rotating refresh token of docs/PROTOCOL.md#section-7: renews it before
 * it expires, on demand after a 401, and tells the app when the session is over.
 *
 * Only one refresh is ever in flight: the server treats a second use of the same refresh token
 * as theft and revokes the session, so two racing refreshes would sign the user out.
 */
export class AuthSession implements TokenSource {
  readonly #http: HttpClient;
  readonly #renewBeforeMs: number;
  readonly #events = new Emitter<AuthSessionEvents>((err) =>
    queueMicrotask(() => {
      throw err;
    }),
  );
  #tokens: TokenPair;
  #inFlight: Promise<string> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #expired: ChatError | undefined;
  #closed = false;

  constructor(options: AuthSessionOptions) {
    this.#http = new HttpClient({
      baseUrl: options.baseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      timeoutMs: options.timeoutMs ?? 15_000,
    });
    this.#renewBeforeMs = options.renewBeforeMs ?? 60_000;
    this.#tokens = options.tokens;
    this.#schedule();
  }

  get accessToken(): string {
    return this.#tokens.accessToken;
  }

  get refreshToken(): string {
    return this.#tokens.refreshToken;
  }

  /** Set once the session is over for good. */
  get expired(): ChatError | undefined {
    return this.#expired;
  }

  /** When the current access token expires (ms since the epoch), if it says. */
  get accessTokenExpiresAt(): number | undefined {
    return jwtExpiryMs(this.#tokens.accessToken);
  }

  on<K extends keyof AuthSessionEvents>(event: K, handler: AuthSessionEvents[K]): () => void {
    return this.#events.on(event, handler);
  }

  /** The access token, refreshed first when it expires within the next few seconds. */
  async validAccessToken(): Promise<string> {
    const exp = this.accessTokenExpiresAt;
    if (exp !== undefined && exp - Date.now() < 5_000) return this.refresh();
    return this.#tokens.accessToken;
  }

  refresh(): Promise<string> {
    if (this.#expired) return Promise.reject(this.#expired);
    if (this.#closed)
      return Promise.reject(new ChatError({ code: 'CLOSED', message: 'Session closed' }));
    this.#inFlight ??= this.#doRefresh().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  /** Ends the session on the server (best effort) and stops renewing. */
  async logout(): Promise<void> {
    const refreshToken = this.#tokens.refreshToken;
    this.close();
    await this.#http.logout(refreshToken).catch(() => undefined);
  }

  /** Stops renewing (no server call). */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  async #doRefresh(): Promise<string> {
    try {
      const next = await this.#http.refresh(this.#tokens.refreshToken);
      this.#tokens = next;
      this.#failures = 0;
      this.#schedule();
      this.#events.emit('tokens', next);
      return next.accessToken;
    } catch (err) {
      if (err instanceof ChatError && err.code === 'UNAUTHENTICATED') {
        this.#expired = err;
        this.#clearTimer();
        this.#events.emit('expired', err);
      } else if (!this.#closed) {
        // Offline or the cluster is restarting: try again, sooner than the token expires.
        this.#scheduleIn(backoffMs(this.#failures++, 1000, 30_000) + 500);
      }
      throw err;
    }
  }

  #schedule(): void {
    const exp = this.accessTokenExpiresAt;
    if (exp === undefined) return;
    const lifetime = Math.max(0, exp - Date.now());
    const lead = Math.min(this.#renewBeforeMs, lifetime / 2);
    this.#scheduleIn(lifetime - lead);
  }

  #scheduleIn(ms: number): void {
    this.#clearTimer();
    if (this.#closed) return;
    // setTimeout caps at 2^31-1 ms (~24.8 days); longer lifetimes are re-armed by the refresh.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.refresh().catch(() => undefined); // failures are handled (and rescheduled) above
      },
      Math.min(Math.max(0, ms), 2 ** 31 - 1),
    );
    // Node: the timer alone must not keep a process (a bot, a test) alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

export function createAuthSession(options: AuthSessionOptions): AuthSession {
  return new AuthSession(options);
}
