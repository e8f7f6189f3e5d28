export { createSendKeys, type SendKeys } from './keys.js';
export {
  createSendState,
  SEND_CLAIM_TTL_MS,
  SEND_STATE_TTL_MS,
  type SendOutcome,
  type SendRequest,
  type SendState,
  type SendStateOptions,
} from './send-state.js';
export { decodeHandoff, encodeHandoff, type HandoffEntry, type HandoffRecord } from './handoff.js';
export {
  createHandoffStream,
  HANDOFF_GROUP,
  type HandoffStream,
  type HandoffStreamOptions,
} from './handoff-stream.js';
export { BUDGET_LUA, NEXT_SEQ_LUA, RAISE_LUA, SEND_LUA, VERSION_LUA } from './scripts.js';
