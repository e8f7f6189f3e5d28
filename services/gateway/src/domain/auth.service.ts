import {
  dummyVerify,
  hashPassword,
  verifyPassword,
  type Principal,
  type TokenService,
} from '@chat/auth';
import { AppError } from '@chat/core';
import type { User } from '@chat/protocol';
import { DuplicateKeyError, toUserDto, type MongoStore, type ObjectId } from '@chat/store';
import { hex, oid } from './ids.js';

export type AuthService = ReturnType<typeof createAuthService>;

/** The user a request or socket acts as, after the token was verified. */
export interface Identity {
  userId: string;
  username?: string;
  /** Token expiry, seconds since the epoch. */
  exp: number;
}

const WRONG_CREDENTIALS = 'Wrong username or password';

export function createAuthService({ store, tokens }: { store: MongoStore; tokens: TokenService }) {
  async function issue(user: { _id: ObjectId; username: string }) {
    const { token } = await tokens.signAccessToken({
      userId: hex(user._id),
      username: user.username,
    });
    return token;
  }

  return {
    async register(input: {
      username: string;
      password: string;
      displayName?: string;
    }): Promise<{ user: User; accessToken: string }> {
      const passwordHash = await hashPassword(input.password);
      try {
        const doc = await store.users.create({
          username: input.username.trim().toLowerCase(),
          ...(input.displayName?.trim() ? { displayName: input.displayName.trim() } : {}),
          passwordHash,
        });
        return { user: toUserDto(doc), accessToken: await issue(doc) };
      } catch (err) {
        if (err instanceof DuplicateKeyError) throw AppError.conflict('Username is taken');
        throw err;
      }
    },

    /** Same answer, and about the same time, whether the user exists or not (PROTOCOL §2). */
    async login(input: {
      username: string;
      password: string;
    }): Promise<{ user: User; accessToken: string }> {
      const doc = await store.users.findByUsername(input.username.trim().toLowerCase());
      if (!doc?.passwordHash) {
        await dummyVerify(input.password);
        throw AppError.unauthenticated(WRONG_CREDENTIALS);
      }
      if (!(await verifyPassword(input.password, doc.passwordHash)))
        throw AppError.unauthenticated(WRONG_CREDENTIALS);
      return { user: toUserDto(doc), accessToken: await issue(doc) };
    },

    /**
     * Verifies a bearer token and maps it to a user. External identity-provider tokens
     * create the user on first sight. Service tokens are not users: `null`.
     */
    async identify(token: string): Promise<{ principal: Principal; identity: Identity | null }> {
      const principal = await tokens.verify(token);
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
      const user = await store.users.findById(oid(principal.userId));
      if (!user) throw AppError.unauthenticated('Unknown user');
      return {
        principal,
        identity: { userId: principal.userId, username: user.username, exp: principal.exp },
      };
    },
  };
}
