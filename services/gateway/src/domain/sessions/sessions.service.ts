import { hashRefreshToken, newRefreshToken, type TokenService } from '@chat/auth';
import { AppError, type Logger } from '@chat/core';
import type { Session } from '@chat/protocol';
import type { MongoStore, ObjectId, SessionDoc } from '@chat/store';
import type { Fanout } from '../fanout.js';
import { hex, oid } from '../ids.js';
import type { RevokedSessions } from '../../redis-state/revoked-sessions.js';

export type SessionsService = ReturnType<typeof createSessionsService>;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface SessionsServiceOptions {
  store: MongoStore;
  tokens: TokenService;
  revoked: RevokedSessions;
  fanout: Fanout;
  logger: Logger;
  /** Sliding lifetime of a session (and of each refresh token). @default 30 days */
  refreshTtlSeconds: number;
  /** @default () => new Date() */
  now?: () => Date;
}

const REFRESH_REFUSED = 'Refresh token is invalid or expired';

/**
 * Sign-in sessions (docs/PROTOCOL.md#section-7). A session is one device's login; its refresh token rotates on
 * every use and the access tokens it mints carry its id (`sid`), which is how a revocation
 * reaches them: a Redis mark every node checks (redis-state/revoked-sessions.ts) and a cluster-wide
 * disconnect of the room the session's sockets joined.
 */
export function createSessionsService(options: SessionsServiceOptions) {
  const { store, tokens, revoked, fanout, logger, refreshTtlSeconds } = options;
  const now = options.now ?? (() => new Date());
  const expiry = (at: Date) => new Date(at.getTime() + refreshTtlSeconds * 1000);

  async function accessTokenFor(session: SessionDoc, username?: string): Promise<string> {
    const user = username === undefined ? await store.users.findById(session.userId) : { username };
    if (!user) throw AppError.unauthenticated(REFRESH_REFUSED);
    const { token } = await tokens.signAccessToken({
      userId: hex(session.userId),
      username: user.username,
      sessionId: hex(session._id),
    });
    return token;
  }

  /** Marks first, then disconnects: a socket that reconnects at once is refused at the handshake. */
  async function ended(ids: readonly ObjectId[]): Promise<void> {
    if (ids.length === 0) return;
    const hexIds = ids.map(hex);
    await revoked.mark(hexIds);
    fanout.disconnectSessions(hexIds);
  }

  return {
    /** A new device session (login, register). */
    async start(user: { _id: ObjectId; username: string }, deviceName: string): Promise<TokenPair> {
      const refreshToken = newRefreshToken();
      const at = now();
      const session = await store.sessions.create({
        userId: user._id,
        deviceName,
        tokenHash: hashRefreshToken(refreshToken),
        expiresAt: expiry(at),
        now: at,
      });
      return { accessToken: await accessTokenFor(session, user.username), refreshToken };
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const next = newRefreshToken();
      const at = now();
      const result = await store.sessions.rotate(
        hashRefreshToken(refreshToken),
        hashRefreshToken(next),
        expiry(at),
        at,
      );
      if (result.kind === 'reused') {
        logger.warn(
          { sessionId: hex(result.session._id), userId: hex(result.session.userId) },
          'refresh token reused: session revoked',
        );
        await ended([result.session._id]);
      }
      if (result.kind !== 'rotated') throw AppError.unauthenticated(REFRESH_REFUSED);
      return { accessToken: await accessTokenFor(result.session), refreshToken: next };
    },

    /** Ends the token's session; an unknown or dead token is fine (logging out twice is not an error). */
    async logout(refreshToken: string): Promise<void> {
      const session = await store.sessions.findByTokenHash(hashRefreshToken(refreshToken), now());
      if (!session) return;
      await ended(await store.sessions.revoke(session.userId, { ids: [session._id] }, 'logout'));
    },

    async list(
      userHex: string,
      currentSessionId: string | undefined,
    ): Promise<{ sessions: Session[] }> {
      const docs = await store.sessions.listActive(oid(userHex), now());
      return {
        sessions: docs.map((d) => ({
          id: hex(d._id),
          deviceName: d.deviceName,
          createdAt: d.createdAt.toISOString(),
          lastUsedAt: d.lastUsedAt.toISOString(),
          current: hex(d._id) === currentSessionId,
        })),
      };
    },

    /** Another user's or an already ended session is NOT_FOUND (ids are not secrets, but not hints either). */
    async revoke(userHex: string, sessionHex: string): Promise<void> {
      const ids = await store.sessions.revoke(
        oid(userHex),
        { ids: [oid(sessionHex)] },
        'revoked',
        now(),
      );
      if (ids.length === 0) throw AppError.notFound('Session not found');
      await ended(ids);
    },

    /** Every session but `currentSessionId` (all of them when the token carries none). */
    async revokeOthers(
      userHex: string,
      currentSessionId: string | undefined,
      reason: 'revoked' | 'password' = 'revoked',
    ): Promise<void> {
      const ids = await store.sessions.revoke(
        oid(userHex),
        { allExcept: currentSessionId === undefined ? undefined : oid(currentSessionId) },
        reason,
        now(),
      );
      await ended(ids);
    },

    /** For the handshake, `auth:renew` (fresh) and HTTP (cached briefly). */
    isRevoked: (sessionId: string, fresh: boolean) => revoked.isRevoked(sessionId, { fresh }),
  };
}
