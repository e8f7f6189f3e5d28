import { ObjectId, type Collection, type Db } from 'mongodb';
import { compact } from './util.js';

/**
 * Sign-in sessions (docs/PROTOCOL.md#section-7): one per device login, the "family" of the refresh tokens that
 * rotate through it. Revoking the session ends every token of the family at once.
 */
export interface SessionDoc {
  _id: ObjectId;
  userId: ObjectId;
  deviceName: string;
  createdAt: Date;
  lastUsedAt: Date;
  /** Sliding: every rotation moves it to now + the refresh lifetime. TTL index removes the doc. */
  expiresAt: Date;
  revokedAt?: Date;
  /** Why it was revoked: shown nowhere yet, kept for audits. */
  revokedReason?: 'logout' | 'revoked' | 'reuse' | 'password';
}

/** One per refresh token ever handed out; only its hash is stored. */
export interface RefreshTokenDoc {
  _id: ObjectId;
  /** Hex SHA-256 of the token; unique. */
  hash: string;
  sessionId: ObjectId;
  userId: ObjectId;
  createdAt: Date;
  /** Same as the session's at the time; the TTL index removes the doc after it. */
  expiresAt: Date;
  /** Set when it was exchanged: presenting it again is a reuse (a stolen copy), see rotate(). */
  usedAt?: Date;
}

export type RotateResult =
  | { kind: 'rotated'; session: SessionDoc }
  /** An already exchanged token came back: the whole family is revoked now. */
  | { kind: 'reused'; session: SessionDoc }
  /** Unknown, expired, or its session is revoked. */
  | { kind: 'invalid' };

export interface CreateSessionInput {
  userId: ObjectId;
  deviceName: string;
  tokenHash: string;
  expiresAt: Date;
  /** @default new Date() */
  now?: Date;
}

export interface SessionsRepository {
  readonly sessions: Collection<SessionDoc>;
  readonly tokens: Collection<RefreshTokenDoc>;
  create(input: CreateSessionInput): Promise<SessionDoc>;
  /**
   * Exchanges the token `hash` for `nextHash` (rotation). Two commands in the common case
   * (claim the old token, extend the session) plus one insert of the new token.
   */
  rotate(hash: string, nextHash: string, expiresAt: Date, now?: Date): Promise<RotateResult>;
  /** Newest use first; live sessions only. */
  listActive(userId: ObjectId, now?: Date): Promise<SessionDoc[]>;
  /** Ids of the sessions revoked now (already revoked or another user's: not included). */
  revoke(
    userId: ObjectId,
    which: { ids: readonly ObjectId[] } | { allExcept: ObjectId | undefined },
    reason: NonNullable<SessionDoc['revokedReason']>,
    now?: Date,
  ): Promise<ObjectId[]>;
  /** The live session a token (used or not) belongs to; for logout. */
  findByTokenHash(hash: string, now?: Date): Promise<SessionDoc | null>;
  /** Live = not revoked and not expired. */
  isActive(sessionId: ObjectId, now?: Date): Promise<boolean>;
}

const live = (now: Date) => ({ revokedAt: { $exists: false }, expiresAt: { $gt: now } });

export function createSessionsRepository(db: Db): SessionsRepository {
  const sessions = db.collection<SessionDoc>('sessions');
  const tokens = db.collection<RefreshTokenDoc>('refresh_tokens');

  async function revokeIds(
    ids: ObjectId[],
    reason: NonNullable<SessionDoc['revokedReason']>,
    now: Date,
  ): Promise<void> {
    if (ids.length === 0) return;
    await sessions.updateMany(
      { _id: { $in: ids }, revokedAt: { $exists: false } },
      { $set: { revokedAt: now, revokedReason: reason } },
    );
    // The tokens die with their session; deleting them keeps the collection at one live token
    // (plus the used ones of the refresh lifetime) per device.
    await tokens.deleteMany({ sessionId: { $in: ids } });
  }

  async function insertToken(session: SessionDoc, hash: string, now: Date): Promise<void> {
    await tokens.insertOne({
      _id: new ObjectId(),
      hash,
      sessionId: session._id,
      userId: session.userId,
      createdAt: now,
      expiresAt: session.expiresAt,
    });
  }

  return {
    sessions,
    tokens,

    async create({ userId, deviceName, tokenHash, expiresAt, now = new Date() }) {
      const doc: SessionDoc = compact({
        _id: new ObjectId(),
        userId,
        deviceName,
        createdAt: now,
        lastUsedAt: now,
        expiresAt,
      });
      await sessions.insertOne(doc);
      await insertToken(doc, tokenHash, now);
      return doc;
    },

    async rotate(hash, nextHash, expiresAt, now = new Date()) {
      // Claiming the token is one atomic filtered update: of two concurrent exchanges of the
      // same token exactly one wins; the other sees a used token, which is what a thief's
      // replay looks like, so it revokes the family (RFC 6819 §5.2.2.3, OAuth 2.1 §4.3.1).
      const claimed = await tokens.findOneAndUpdate(
        { hash, usedAt: { $exists: false }, expiresAt: { $gt: now } },
        { $set: { usedAt: now } },
        { returnDocument: 'after' },
      );
      if (!claimed) {
        const used = await tokens.findOne({ hash });
        if (!used?.usedAt) return { kind: 'invalid' };
        const session = await sessions.findOne({ _id: used.sessionId });
        await revokeIds([used.sessionId], 'reuse', now);
        return session ? { kind: 'reused', session } : { kind: 'invalid' };
      }
      const session = await sessions.findOneAndUpdate(
        { _id: claimed.sessionId, ...live(now) },
        { $set: { lastUsedAt: now, expiresAt } },
        { returnDocument: 'after' },
      );
      if (!session) return { kind: 'invalid' };
      await insertToken(session, nextHash, now);
      return { kind: 'rotated', session };
    },

    listActive: (userId, now = new Date()) =>
      sessions
        .find({ userId, ...live(now) })
        .sort({ lastUsedAt: -1, _id: -1 })
        .limit(500)
        .toArray(),

    async revoke(userId, which, reason, now = new Date()) {
      const filter =
        'ids' in which
          ? { userId, _id: { $in: [...which.ids] }, ...live(now) }
          : {
              userId,
              ...live(now),
              ...(which.allExcept ? { _id: { $ne: which.allExcept } } : {}),
            };
      const found = await sessions.find(filter, { projection: { _id: 1 } }).toArray();
      const ids = found.map((d) => d._id);
      await revokeIds(ids, reason, now);
      return ids;
    },

    async findByTokenHash(hash, now = new Date()) {
      const token = await tokens.findOne({ hash });
      if (!token) return null;
      return sessions.findOne({ _id: token.sessionId, ...live(now) });
    },

    async isActive(sessionId, now = new Date()) {
      return (await sessions.countDocuments({ _id: sessionId, ...live(now) }, { limit: 1 })) > 0;
    },
  };
}
