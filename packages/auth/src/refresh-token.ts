import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens (docs/PROTOCOL.md#section-7) are opaque random strings, not JWTs: the server must be able to
 * revoke them, so the stored record is the truth and there is nothing to verify offline.
 * 32 random bytes = 256 bits: guessing one is hopeless, so a fast hash (SHA-256) is enough to
 * keep a database leak from handing out live tokens; a slow password hash would buy nothing.
 */
const REFRESH_TOKEN_BYTES = 32;

export function newRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

/** What is stored and looked up: hex SHA-256 of the token. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
