/**
 * Where the HTTP client and the socket get their access token when the app uses sessions with
 * refresh tokens (docs/PROTOCOL.md#section-7). `AuthSession` is the implementation; the interface keeps
 * http-client.ts free of it (AuthSession itself calls the HTTP API).
 */
export interface TokenSource {
  /** The current access token (possibly about to expire). */
  readonly accessToken: string | undefined;
  /** A new access token from the refresh token; concurrent calls share one request. */
  refresh(): Promise<string>;
}
