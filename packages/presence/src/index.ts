export { createPresenceKeys, DEFAULT_PRESENCE_PREFIX, type PresenceKeys } from './keys.js';
export {
  createPresenceStore,
  DEFAULT_PRESENCE_TTL_MS,
  type Admission,
  MAX_PRESENCE_QUERY,
  type ConnectionEntry,
  type ConnectionRef,
  type PresenceStore,
  type PresenceStoreOptions,
  type UserPresence,
} from './presence-store.js';
export { createTypingKeys, type TypingKeys } from './keys.js';
export { createTypingState, type TypingState } from './typing-state.js';
