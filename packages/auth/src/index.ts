export type { Principal } from './principal.js';
export {
  createTokenService,
  type TokenService,
  type TokenServiceOptions,
  type ExternalIdpOptions,
} from './token-service.js';
export { hashPassword, verifyPassword, dummyVerify } from './password.js';
export { newRefreshToken, hashRefreshToken } from './refresh-token.js';
