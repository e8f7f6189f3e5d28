import { ChatError, type ChatErrorCode } from './errors.js';
import type { TokenSource } from './token-source.js';

type Query = Record<string, string | number | boolean | undefined>;

export interface HttpRequest {
  query?: Query;
  json?: unknown;
  form?: FormData;
  /** Routes under /api/auth send no Authorization header. */
  anonymous?: boolean;
}

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
   * is retried once after a refresh (docs/PROTOCOL.md#section-7).
   */
  session?: TokenSource;
}

/**
 * One JSON request to the cluster: the bearer token, a timeout, one retry after a refresh on
 * UNAUTHENTICATED, and every failure (network, timeout, an error body or a foreign error page)
 * as a ChatError with a protocol code.
 */
export class HttpTransport {
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

  setSession(session: TokenSource | undefined): void {
    this.#session = session;
  }

  async call<T>(method: string, path: string, init: HttpRequest = {}): Promise<T> {
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

  async #callOnce<T>(method: string, path: string, init: HttpRequest): Promise<T> {
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
