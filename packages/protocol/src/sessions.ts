import { Type, type Static } from '@sinclair/typebox';
import { IsoDateString, ObjectIdString } from './ids.js';
import { Password } from './fields.js';
import { LIMITS } from './limits.js';

// Sessions and passwords of docs/PROTOCOL.md#section-7 (v1.1).
const closed = { additionalProperties: false } as const;

/** Opaque refresh token: base64url of ≥ 32 random bytes (43 chars), capped so a huge body costs nothing. */
export const RefreshToken = Type.String({ minLength: 1, maxLength: LIMITS.refreshTokenMaxChars });

/** Free text the user recognises the device by ("Firefox on Linux"); defaults on the server. */
export const DeviceName = Type.String({ minLength: 1, maxLength: LIMITS.deviceNameMaxChars });

export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, closed);
export type RefreshBody = Static<typeof RefreshBody>;

export const RefreshResponse = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
});
export type RefreshResponse = Static<typeof RefreshResponse>;

export const Session = Type.Object({
  id: ObjectIdString,
  deviceName: Type.String(),
  createdAt: IsoDateString,
  lastUsedAt: IsoDateString,
  /** The session of the access token that asked. */
  current: Type.Boolean(),
});
export type Session = Static<typeof Session>;

export const SessionsResponse = Type.Object({ sessions: Type.Array(Session) });
export type SessionsResponse = Static<typeof SessionsResponse>;

export const SessionParams = Type.Object({ id: ObjectIdString }, closed);
export type SessionParams = Static<typeof SessionParams>;

/** `DELETE /api/users/me/sessions?others=true`: the only bulk form (never "all including me"). */
export const RevokeSessionsQuery = Type.Object({ others: Type.Literal(true) }, closed);
export type RevokeSessionsQuery = Static<typeof RevokeSessionsQuery>;

// Loose like LoginBody for the current password: a wrong one is a 401-style refusal, not a 400.
export const ChangePasswordBody = Type.Object(
  {
    currentPassword: Type.String({ minLength: 1, maxLength: LIMITS.passwordMaxChars }),
    newPassword: Password,
  },
  closed,
);
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
