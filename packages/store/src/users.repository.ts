import { LIMITS } from '@chat/protocol';
import { ObjectId, type Db } from 'mongodb';
import { DuplicateKeyError, mapDuplicate } from './errors.js';
import { clampLimit, prefixPattern } from './regex.js';
import type { UserDoc } from './types.js';
import { compact, uniqueIds } from './util.js';

export interface CreateUserInput {
  username: string;
  displayName?: string;
  avatarUrl?: string;
  passwordHash?: string;
  externalSub?: string;
  /** @default new Date() */
  createdAt?: Date;
}

export interface UsersRepository {
  /** @throws DuplicateKeyError when the username (case-insensitive) or externalSub is taken. */
  create(input: CreateUserInput): Promise<UserDoc>;
  findById(id: ObjectId): Promise<UserDoc | null>;
  /** Missing ids are simply absent from the result. */
  findByIds(ids: readonly ObjectId[]): Promise<UserDoc[]>;
  findByUsername(username: string): Promise<UserDoc | null>;
  /** Case-insensitive; unknown names are simply absent. One query whatever the count. */
  findByUsernames(usernames: readonly string[]): Promise<UserDoc[]>;
  /** Case-insensitive, anchored prefix match on username or display name. @default limit 20, max 50 */
  searchByPrefix(prefix: string, limit?: number): Promise<UserDoc[]>;
  /** Finds the user of an external identity, creating it on first sight (race-safe). */
  upsertExternal(
    sub: string,
    preferredUsername?: string,
  ): Promise<{ user: UserDoc; created: boolean }>;
  /** Moves lastSeenAt forward only; returns whether it moved. */
  setLastSeen(userId: ObjectId, at: Date): Promise<boolean>;
  updateProfile(
    userId: ObjectId,
    patch: { displayName?: string; avatarUrl?: string },
  ): Promise<UserDoc | null>;
  /** Removes the avatar; the updated user, null when missing. */
  clearAvatar(userId: ObjectId): Promise<UserDoc | null>;
  /** Is this the avatar of some user? (the public avatar route serves nothing else) */
  isAvatarInUse(avatarUrl: string): Promise<boolean>;
  /** Replaces the hash only while it is still `expected` (two concurrent changes: one wins). */
  replacePasswordHash(userId: ObjectId, expected: string, next: string): Promise<boolean>;
}

const USERNAME_MAX = LIMITS.usernameMaxChars;
const USERNAME_MIN = LIMITS.usernameMinChars;

/** Maps an external `preferred_username` onto our username alphabet `[a-z0-9_.-]{3,32}`. */
export function usernameCandidate(preferred: string | undefined, sub: string): string {
  const cleaned = (preferred ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_.-]/g, '')
    .slice(0, USERNAME_MAX);
  if (cleaned.length >= USERNAME_MIN) return cleaned;
  const fromSub = sub
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(-12);
  return `user_${fromSub || 'ext'}`.slice(0, USERNAME_MAX);
}

function withSuffix(base: string, attempt: number): string {
  if (attempt === 0) return base;
  const suffix = `_${Math.random()
    .toString(36)
    .slice(2, 2 + Math.min(8, 3 + attempt))}`;
  return base.slice(0, USERNAME_MAX - suffix.length) + suffix;
}

export function createUsersRepository(db: Db): UsersRepository {
  const collection = db.collection<UserDoc>('users');

  async function create(input: CreateUserInput): Promise<UserDoc> {
    const displayName = input.displayName ?? input.username;
    const doc: UserDoc = compact({
      _id: new ObjectId(),
      username: input.username,
      usernameLower: input.username.toLowerCase(),
      displayName,
      displayNameLower: displayName.toLowerCase(),
      avatarUrl: input.avatarUrl,
      passwordHash: input.passwordHash,
      externalSub: input.externalSub,
      createdAt: input.createdAt ?? new Date(),
    });
    await mapDuplicate(() => collection.insertOne(doc));
    return doc;
  }

  return {
    create,

    findById: (id) => collection.findOne({ _id: id }),

    async findByIds(ids) {
      const unique = uniqueIds(ids);
      if (unique.length === 0) return [];
      return collection.find({ _id: { $in: unique } }).toArray();
    },

    findByUsername: (username) => collection.findOne({ usernameLower: username.toLowerCase() }),

    async findByUsernames(usernames) {
      const lower = [...new Set(usernames.map((u) => u.toLowerCase()))];
      if (lower.length === 0) return [];
      return collection.find({ usernameLower: { $in: lower } }).toArray();
    },

    async searchByPrefix(prefix, limit) {
      const needle = prefix.trim().toLowerCase();
      if (needle.length === 0) return [];
      const pattern = prefixPattern(needle);
      return collection
        .find({
          $or: [{ usernameLower: { $regex: pattern } }, { displayNameLower: { $regex: pattern } }],
        })
        .sort({ usernameLower: 1 })
        .limit(clampLimit(limit, LIMITS.userSearchLimitDefault, LIMITS.userSearchLimitMax))
        .toArray();
    },

    async upsertExternal(sub, preferredUsername) {
      const existing = await collection.findOne({ externalSub: sub });
      if (existing) return { user: existing, created: false };
      const base = usernameCandidate(preferredUsername, sub);
      // A taken username gets a random suffix; a taken externalSub means another node
      // created this user concurrently, so we read theirs.
      for (let attempt = 0; attempt < 6; attempt++) {
        try {
          const user = await create({ username: withSuffix(base, attempt), externalSub: sub });
          return { user, created: true };
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
          if (err.involves('externalSub') || !err.involves('usernameLower')) {
            const winner = await collection.findOne({ externalSub: sub });
            if (winner) return { user: winner, created: false };
          }
        }
      }
      throw new Error(`could not allocate a username for external subject ${sub}`);
    },

    async setLastSeen(userId, at) {
      const res = await collection.updateOne(
        { _id: userId, $or: [{ lastSeenAt: { $exists: false } }, { lastSeenAt: { $lt: at } }] },
        { $set: { lastSeenAt: at } },
      );
      return res.modifiedCount > 0;
    },

    async updateProfile(userId, patch) {
      const set = compact({
        displayName: patch.displayName,
        displayNameLower: patch.displayName?.toLowerCase(),
        avatarUrl: patch.avatarUrl,
      });
      if (Object.keys(set).length === 0) return collection.findOne({ _id: userId });
      return collection.findOneAndUpdate(
        { _id: userId },
        { $set: set },
        { returnDocument: 'after' },
      );
    },

    clearAvatar: (userId) =>
      collection.findOneAndUpdate(
        { _id: userId },
        { $unset: { avatarUrl: '' } },
        { returnDocument: 'after' },
      ),

    async isAvatarInUse(avatarUrl) {
      return (await collection.countDocuments({ avatarUrl }, { limit: 1 })) > 0;
    },

    async replacePasswordHash(userId, expected, next) {
      const res = await collection.updateOne(
        { _id: userId, passwordHash: expected },
        { $set: { passwordHash: next } },
      );
      return res.modifiedCount > 0;
    },
  };
}
