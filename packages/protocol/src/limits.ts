/**
 * Defaults of docs/PROTOCOL.md#section-4 and the other numeric rules of §2–§3. Services may
 * configure several of them; schemas cap at the hard maximum (`*Max`) so a
 * configured value can only tighten them.
 */
export const LIMITS = {
  /** Message text, chars after trimming (docs/PROTOCOL.md#section-3). */
  textMaxChars: 4000,
  attachmentsPerMessage: 10,
  /** Default members per group, including the owner. */
  groupMembersDefault: 200,
  /** Hard cap a deployment may configure groups up to. */
  groupMembersMax: 10_000,
  reactionsDistinctPerMessage: 20,
  emojiMaxChars: 64,
  presenceQueryMaxIds: 200,
  historyLimitDefault: 50,
  historyLimitMax: 100,
  syncLimitDefault: 100,
  syncLimitMax: 100,
  syncMaxCursors: 1000,
  clientMsgIdMinChars: 1,
  clientMsgIdMaxChars: 64,
  /** Max Socket.IO frame (maxHttpBufferSize) and max `file:upload` data. */
  socketFrameMaxBytes: 1024 * 1024,
  uploadMaxBytesDefault: 25 * 1024 * 1024,
  fileNameMaxChars: 255,
  editWindowMs: 15 * 60 * 1000,
  typingExpiresMs: 6000,
  presenceHeartbeatMs: 25_000,
  usernameMinChars: 3,
  usernameMaxChars: 32,
  passwordMinChars: 8,
  /** Bounds scrypt work per login attempt. */
  passwordMaxChars: 1024,
  displayNameMaxChars: 64,
  conversationTitleMaxChars: 100,
  urlMaxChars: 2048,
  userSearchLimitDefault: 20,
  userSearchLimitMax: 50,
  userSearchQueryMaxChars: 64,
  conversationsLimitDefault: 30,
  conversationsLimitMax: 100,
  cursorMaxChars: 512,
  messageSearchLimitDefault: 20,
  messageSearchLimitMax: 50,
  messageSearchQueryMaxChars: 200,
  notificationsLimitDefault: 50,
  notificationsLimitMax: 100,
  notificationsReadMaxIds: 500,
  notificationTypeMaxChars: 64,
  notificationTitleMaxChars: 200,
  notificationBodyMaxChars: 2000,
  notificationDataMaxProperties: 50,
  tokenMaxChars: 8192,
  refreshTokenMaxChars: 256,
  deviceNameMaxChars: 100,
  /** Text kept in conversation previews (`lastMessage.text`) and reply quotes, chars. */
  previewMaxChars: 200,
  /** Webhook `preview` text, chars. */
  webhookPreviewMaxChars: 140,
  /** Events per socket (token bucket). */
  socketEventsBurst: 20,
  socketEventsPerSecond: 10,
  /** Messages per user across devices and nodes. */
  userMessagesPerWindow: 30,
  userMessagesWindowMs: 10_000,
  loginFailuresPerIpUsernamePerMinute: 10,
  loginFailuresPerIpPerMinute: 30,
  registrationsPerIpPerHour: 20,
} as const;

export type Limits = typeof LIMITS;
