export { ChatClient, createChatClient } from './chat-client.js';
export type {
  ChatClientEvents,
  ChatClientOptions,
  ChatLogger,
  ConnectionState,
  RequestOptions,
  SendInput,
} from './chat-client-types.js';
export {
  HttpClient,
  createHttpClient,
  type HttpClientOptions,
  type SendMessageInput,
} from './http-client.js';
export {
  AuthSession,
  createAuthSession,
  type AuthSessionEvents,
  type AuthSessionOptions,
  type TokenPair,
} from './auth-session.js';
export type { TokenSource } from './token-source.js';
export { ChatError, isChatError, type ChatErrorCode, type ClientErrorCode } from './errors.js';
export {
  Sequencer,
  type MergeInfo,
  type SequencedMessage,
  type SequencerOptions,
} from './sequencer.js';
export { newClientMsgId } from './client-msg-id.js';
export type * from './protocol-types.js';
