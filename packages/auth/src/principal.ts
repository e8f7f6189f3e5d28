/** Who a verified token speaks for. */
export type Principal =
  | {
      kind: 'user';
      /** ObjectId hex of our user (the token's `sub`). */
      userId: string;
      username?: string;
      /** Session (refresh-token family) of the token, when it came from login/register/refresh. */
      sessionId?: string;
      /** Expiry, seconds since the epoch. */
      exp: number;
      external: false;
    }
  | {
      /** Token of a configured external identity provider; the gateway maps `subject` to a user. */
      kind: 'external';
      issuer: string;
      subject: string;
      preferredUsername?: string;
      exp: number;
    }
  | { kind: 'service'; exp: number };
