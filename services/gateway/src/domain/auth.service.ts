import {
  dummyVerify,
  hashPassword,
  verifyPassword,
  type Principal,
  type TokenService,
} from '@chat/auth';
import { AppError } from '@chat/core';
import type { User } from '@chat/protocol';
import { DuplicateKeyError, toUserDto, type MongoStore, type UserDoc } from '@chat/store';
import { hex, oid } from './ids.js';
import type { SessionsService } from './sessions/sessions.service.js';

export type AuthService = ReturnType<typeof createAuthService>;

/** The user a request or socket acts as, after the token was verified. */
export interface Identity {
  userId: string;
  username?: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
  /** Sign-in session of the token (absent for external identity-provider tokens). */
  sessionId?: string;
}

const WRONG_CREDENTIALS = 'Wrong username or password';

/**
 * How long a user id that was found stays known without asking Mongo again. Users are
 * never deleted (no route or job removes one), so a positive answer cannot go stale
 * today; the bound only keeps memory flat and gives a future delete/ban a short,
 * known delay (or it adds an explicit check here). @default 300_000
 */
const KNOWN_USER_TTL_MS = 5 * 60_000;
/** ~100 bytes each: at most ~10 MB per node. @default 100_000 */
const KNOWN_USER_MAX = 100_000;
/** Lookups in one `$in` query at most. */
const LOOKUP_BATCH = 200;

export interface AuthServiceOptions {
  store: MongoStore;
  tokens: TokenService;
  sessions: SessionsService;
  /** Milliseconds since epoch, for the known-users cache. @default Date.now */
  clock?: () => number;
}

export interface SignedIn {
  user: User;
  accessToken: string;
  refreshToken: string;
}

export function createAuthService({
  store,
  tokens,
  sessions,
  clock = Date.now,
}: AuthServiceOptions) {
  const usernameOf = createUserLookup(store, clock);
  const issue = async (user: UserDoc, deviceName: string): Promise<SignedIn> => ({
    user: toUserDto(user),
    ...(await sessions.start(user, deviceName)),
  });

  return {
    async register(
      input: {
        username: string;
        password: string;
        displayName?: string;
      },
      deviceName: string,
    ): Promise<SignedIn> {
      const passwordHash = await hashPassword(input.password);
      try {
        const doc = await store.users.create({
          username: input.username.trim().toLowerCase(),
          ...(input.displayName?.trim() ? { displayName: input.displayName.trim() } : {}),
          passwordHash,
        });
        return await issue(doc, deviceName);
      } catch (err) {
        if (err instanceof DuplicateKeyError) throw AppError.conflict('Username is taken');
        throw err;
      }
    },

    /** Same answer, and about the same time, whether the user exists or not (docs/PROTOCOL.md#section-2). */
    async login(
      input: { username: string; password: string },
      deviceName: string,
    ): Promise<SignedIn> {
      const doc = await store.users.findByUsername(input.username.trim().toLowerCase());
      if (!doc?.passwordHash) {
        await dummyVerify(input.password);
        throw AppError.unauthenticated(WRONG_CREDENTIALS);
      }
      if (!(await verifyPassword(input.password, doc.passwordHash)))
        throw AppError.unauthenticated(WRONG_CREDENTIALS);
      return issue(doc, deviceName);
    },

    /**
     * docs/PROTOCOL.md#section-7: every other session of the user ends. A wrong current password is
     * FORBIDDEN (the caller is authenticated; 401 would read as "your token is bad").
     */
    async changePassword(
      identity: Identity,
      input: { currentPassword: string; newPassword: string },
    ): Promise<void> {
      const doc = await store.users.findById(oid(identity.userId));
      if (!doc?.passwordHash) throw AppError.forbidden('This account has no password to change');
      if (!(await verifyPassword(input.currentPassword, doc.passwordHash)))
        throw AppError.forbidden('Current password is wrong');
      const next = await hashPassword(input.newPassword);
      if (!(await store.users.replacePasswordHash(doc._id, doc.passwordHash, next)))
        throw AppError.conflict('The password was changed meanwhile');
      await sessions.revokeOthers(identity.userId, identity.sessionId, 'password');
    },

    /**
     * Verifies a bearer token and maps it to a user. External identity-provider tokens
     * create the user on first sight. Service tokens are not users: `null`.
     */
    async identify(
      token: string,
      { fresh = false }: { fresh?: boolean } = {},
    ): Promise<{ principal: Principal; identity: Identity | null }> {
      const principal = await tokens.verify(token);
      if (principal.kind === 'user' && principal.sessionId !== undefined) {
        if (await sessions.isRevoked(principal.sessionId, fresh))
          throw AppError.unauthenticated('Session revoked');
      }
      if (principal.kind === 'service') return { principal, identity: null };
      if (principal.kind === 'external') {
        const { user } = await store.users.upsertExternal(
          principal.subject,
          principal.preferredUsername,
        );
        return {
          principal,
          identity: { userId: hex(user._id), username: user.username, exp: principal.exp },
        };
      }
      // A validly signed token for a user that does not exist (a wiped database, a token
      // minted by hand) is refused, so the existence check stays; it is cached and batched
      // because every socket handshake and HTTP request pays for it.
      const username = await usernameOf(principal.userId);
      if (username === undefined) throw AppError.unauthenticated('Unknown user');
      return {
        principal,
        identity: {
          userId: principal.userId,
          username,
          exp: principal.exp,
          ...(principal.sessionId !== undefined ? { sessionId: principal.sessionId } : {}),
        },
      };
    },
  };
}

interface Waiter {
  resolve: (username: string | undefined) => void;
  reject: (reason: unknown) => void;
}

/**
 * userId → username, or undefined for no such user. Known users are answered from memory
 * for KNOWN_USER_TTL_MS; concurrent misses (a reconnect storm) share one `$in` query per
 * event-loop turn instead of one findOne each: the driver's CPU cost is per command.
 * Unknown ids are never cached, so a user registered a moment ago is found at once.
 */
function createUserLookup(
  store: MongoStore,
  clock: () => number,
): (userId: string) => Promise<string | undefined> {
  const known = new Map<string, { username: string; until: number }>();
  let waiting = new Map<string, Waiter[]>();
  let scheduled = false;

  function remember(userId: string, username: string): void {
    if (known.size >= KNOWN_USER_MAX) {
      // Map iterates in insertion order: drop the oldest entry.
      const oldest = known.keys().next();
      if (!oldest.done) known.delete(oldest.value);
    }
    known.set(userId, { username, until: clock() + KNOWN_USER_TTL_MS });
  }

  async function run(batch: Map<string, Waiter[]>): Promise<void> {
    const ids = [...batch.keys()];
    for (let i = 0; i < ids.length; i += LOOKUP_BATCH) {
      const chunk = ids.slice(i, i + LOOKUP_BATCH);
      const docs = await store.users.findByIds(chunk.map((id) => oid(id)));
      const found = new Map(docs.map((d) => [hex(d._id), d.username]));
      for (const id of chunk) {
        const username = found.get(id);
        if (username !== undefined) remember(id, username);
        for (const waiter of batch.get(id) ?? []) waiter.resolve(username);
      }
    }
  }

  return (userId) => {
    const hit = known.get(userId);
    if (hit && hit.until > clock()) return Promise.resolve(hit.username);
    if (hit) known.delete(userId);
    return new Promise<string | undefined>((resolve, reject) => {
      const callers = waiting.get(userId) ?? [];
      callers.push({ resolve, reject });
      waiting.set(userId, callers);
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = waiting;
        waiting = new Map();
        run(batch).catch((err: unknown) => {
          // Every caller of the batch sees the failure (UNAVAILABLE when Mongo is down).
          for (const callers of batch.values()) for (const waiter of callers) waiter.reject(err);
        });
      });
    });
  };
}
