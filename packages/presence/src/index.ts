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
