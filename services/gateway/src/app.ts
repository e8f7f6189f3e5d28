import { answerMembershipRequests, isCluster } from '@chat/redis';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createAuthService } from './domain/auth.service.js';
import { createConversationsService } from './domain/conversations.service.js';
import { createMessageLifecycleService } from './domain/message-lifecycle.service.js';
import { createMessagesService } from './domain/messages.service.js';
import { createNotificationsService } from './domain/notifications.service.js';
import { createPresenceService } from './domain/presence.service.js';
import { createTypingService } from './domain/typing.service.js';
import { createReceiptsService } from './domain/receipts.service.js';
import { createSyncService } from './domain/sync.service.js';
import { createSystemMessages } from './domain/system-messages.js';
import { createUploadsService } from './domain/uploads.service.js';
import { createUsersService } from './domain/users.service.js';
import { createRevokedSessions } from './redis-state/revoked-sessions.js';
import { createSessionsService } from './domain/sessions/sessions.service.js';
import { sessionsRoutes } from './http/routes/sessions.route.js';
import { createMessageReceiptsService } from './domain/message-receipts.service.js';
import { receiptsRoutes } from './http/routes/receipts.route.js';
import { createMuteService } from './domain/mute.service.js';
import { muteRoutes } from './http/routes/mute.route.js';
import { createSearchService } from './domain/search.service.js';
import { searchRoutes } from './http/routes/search.route.js';
import { createProfileService } from './domain/profile.service.js';
import { createAvatars } from './domain/avatars.js';
import { avatarRoutes, profileRoutes } from './http/routes/profile.route.js';
import { createFileSigner } from './files/file-signer.js';
import { createFileStorage } from './files/file-storage.js';
import { hex, oid } from './domain/ids.js';
import type { GatewayDeps } from './deps.js';
import { installAccessLog } from './http/access-log.js';
import { authenticate } from './http/authenticate.js';
import { installErrorHandler } from './http/error-handler.js';
import { createAbuseGuards } from './limits/abuse-guards.js';
import { frameworkErrors } from './limits/framework-errors.js';
import { authRoutes } from './http/routes/auth.route.js';
import { botActionsRoutes } from './http/routes/bot-actions.route.js';
import { conversationsRoutes } from './http/routes/conversations.route.js';
import { healthRoutes, type Readiness } from './http/routes/health.route.js';
import { messagesRoutes } from './http/routes/messages.route.js';
import {
  notificationsRoutes,
  serviceNotificationsRoutes,
} from './http/routes/notifications.route.js';
import { filesRoutes } from './http/routes/files.route.js';
import { uploadsRoutes } from './http/routes/uploads.route.js';
import { usersRoutes } from './http/routes/users.route.js';
import { validatorCompiler } from './http/validation.js';
import { openApi } from './http/openapi.js';
import { webRoutes } from './http/routes/web.route.js';
import { attachRealtime, createSocketServer } from './realtime/create-io.js';
import { conversationHandlers } from './realtime/handlers/conversations.handlers.js';
import { lifecycleHandlers } from './realtime/handlers/lifecycle.handlers.js';
import { messageHandlers } from './realtime/handlers/messages.handlers.js';
import { uploadHandlers } from './realtime/handlers/uploads.handlers.js';
import { presenceHandlers } from './realtime/handlers/presence.handlers.js';
import { createIoFanout } from './realtime/io-fanout.js';
import { createPresenceLifecycle } from './realtime/presence-lifecycle.js';
import type { ChatServer } from './realtime/types.js';
import { createInFlightTracker, type InFlightTracker } from './drain.js';
import { instrumentNode } from './observability/instrument.js';
import { createGatewayMetrics, type GatewayMetrics } from './observability/metrics.js';
import { LIMITS } from '@chat/protocol';
import { createPresenceStore, createTypingState } from '@chat/presence';
import { createSendState } from '@chat/send-state';
import { createMembershipCache } from './domain/send/membership-cache.js';

export interface GatewayApp {
  app: FastifyInstance;
  io: ChatServer;
  readiness: Readiness;
  /** Socket handlers running now; the drain waits for them. */
  inFlight: InFlightTracker;
  metrics: GatewayMetrics;
}

/** Builds the node (HTTP routes + Socket.IO) without listening; main.ts and tests listen. */
export function buildApp(deps: GatewayDeps): GatewayApp {
  const { config, logger, store } = deps;
  const app = Fastify({
    loggerInstance: logger.child({ nodeId: config.nodeId }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    requestIdHeader: 'x-request-id',
    frameworkErrors: frameworkErrors(config.nodeId),
  });
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandler(app, logger);
  installAccessLog(app);
  const guards = createAbuseGuards(deps);
  guards.installHttp(app);
  app.addHook('onRequest', async (_request, reply) => {
    void reply.header('X-Node-Id', config.nodeId);
  });

  const io = createSocketServer({
    httpServer: app.server,
    pubClient: deps.pub,
    subClient: deps.sub,
    adapter: deps.adapter,
    nodeId: config.nodeId,
    ...config.realtime,
    // A draining node takes no new sessions; the client retries and nginx picks another node.
    allowRequest: (req, callback) => {
      if (readiness.draining) callback('draining', false);
      else guards.socket.allowRequest(req, callback);
    },
  });
  const metrics = createGatewayMetrics();
  const inFlight = createInFlightTracker();
  const instrumentation = instrumentNode({ app, io, deps, metrics, inFlight, logger });
  const { redis, offlineDelivery } = deps;
  const presenceStore = createPresenceStore({
    redis,
    prefix: config.presence.prefix,
    ttlMs: config.presence.ttlMs,
  });
  const fanout = createIoFanout(io, {
    adapter: deps.adapter,
    devicesOf: (userId) => presenceStore.devices(userId),
    ...(deps.subscriptions ? { subscriptions: deps.subscriptions } : {}),
    logger,
  });
  if (deps.adapter === 'sharded') answerMembershipRequests(io, deps.subscriptions);
  const sessions = createSessionsService({
    store,
    tokens: deps.tokens,
    revoked: createRevokedSessions({
      redis,
      prefix: config.redis.keyPrefix,
      // No access token of a revoked session verifies after its lifetime (+ clock tolerance).
      markTtlSeconds: config.auth.accessTokenTtlSeconds + 60,
    }),
    fanout,
    logger,
    refreshTtlSeconds: config.auth.refreshTokenTtlSeconds,
  });
  const auth = createAuthService({ store, tokens: deps.tokens, sessions });
  const presence = createPresenceService({
    presence: presenceStore,
    store,
    fanout,
    logger,
    graceMs: config.presence.graceMs,
  });
  const typing = createTypingService({
    store,
    state: createTypingState({ redis, prefix: config.redis.keyPrefix }),
    fanout,
    logger,
    ...config.typing,
  });
  const notifications = createNotificationsService({
    store,
    fanout,
    presence: presenceStore,
    offlineDelivery,
    logger,
  });
  const sendState = createSendState({
    redis,
    prefix: config.redis.keyPrefix,
    budget: config.abuse.messages,
  });
  const sendAccess = createMembershipCache({ store, sendState });
  // A Redis that restarted may hold older membership versions than this node cached.
  redis.on('ready', () => sendAccess.clear());
  const counters = sendState.counters;
  const avatars = createAvatars({ store });
  const users = createUsersService({
    store,
    presence: presenceStore,
    onAccessChanged: sendAccess.invalidate,
  });
  const conversations = createConversationsService({
    store,
    fanout,
    groupMaxMembers: config.limits.groupMaxMembers,
    onAccessChanged: sendAccess.invalidate,
    counters,
    onMembersAdded: notifications.membersAdded,
    postSystemMessage: createSystemMessages({ store, sendState, fanout, logger }),
    avatars,
  });
  const uploads = createUploadsService({
    store,
    storage: createFileStorage({ dir: config.uploads.dir }),
    signer: createFileSigner({
      secret: config.uploads.signingSecret,
      ttlMs: config.uploads.urlTtlMs,
    }),
    maxBytes: config.uploads.maxBytes,
    allowedTypes: config.uploads.allowedTypes,
  });
  const messages = createMessagesService({
    store,
    fanout,
    attachmentUrl: uploads.urlOf,
    textMaxChars: config.limits.textMaxChars,
    attachmentsPerMessage: config.limits.attachmentsPerMessage,
    sendState,
    access: sendAccess,
    onMentioned: (event) => void notifications.mentioned(event),
    ...(isCluster(redis)
      ? {}
      : {
          presenceKeys: {
            of: (id: string) => presenceStore.keys.user(id),
            now: Date.now,
            // Only the sharded adapter's direct fan-out asks how many devices the sender has.
            countSenderDevices: deps.adapter === 'sharded',
          },
        }),
  });
  const lifecycle = createMessageLifecycleService({
    store,
    fanout,
    toDtos: messages.toDtos,
    editWindowMs: config.limits.editWindowMs,
    textMaxChars: config.limits.textMaxChars,
  });
  const receipts = createReceiptsService({ store, fanout, counters });
  const sync = createSyncService({
    store,
    toMessageDtos: messages.toDtos,
    defaultLimit: LIMITS.syncLimitDefault,
    maxChanged: 100,
    counters,
  });

  const presenceLifecycle = createPresenceLifecycle({
    service: presence,
    redis,
    nodeId: config.nodeId,
    flushMs: config.presence.flushMs,
    isDraining: () => readiness.draining,
    // The per-user socket cap is part of presence admission: one atomic script, no cross-node count.
    maxSocketsPerUser: config.abuse.socket.maxPerUser,
    logger,
  });
  app.addHook('onClose', async () => {
    presenceLifecycle.close();
    typing.close();
    instrumentation.close();
  });
  attachRealtime(io, {
    auth,
    nodeId: config.nodeId,
    logger,
    observe: instrumentation.observe,
    lifecycle: [presenceLifecycle],
    ...(deps.subscriptions ? { roomsReady: deps.subscriptions.ready } : {}),
    conversationIdsOf: async (userId) =>
      (await store.memberships.listConversationIdsOfUser(oid(userId))).map(hex),
    handlers: [
      ...messageHandlers(messages),
      ...conversationHandlers(receipts, sync),
      ...presenceHandlers(presence, typing),
      ...lifecycleHandlers(lifecycle),
      ...uploadHandlers(uploads),
    ],
  });
  guards.attachSockets(io);

  const readiness: Readiness = {
    draining: false,
    async check() {
      await Promise.all([store.ping(), deps.redis.ping(), deps.subscriptions?.healthy()]);
    },
  };
  void app.register(openApi, { version: '1.0.0' }); // first: it documents the routes registered after it
  void app.register(healthRoutes(readiness));
  void app.register(filesRoutes(uploads));
  const profile = createProfileService({ store, fanout, avatars });
  void app.register(avatarRoutes(avatars, createFileStorage({ dir: config.uploads.dir })));
  void app.register(authRoutes(auth, sessions));
  void app.register(async (api) => {
    api.addHook('onRequest', authenticate(auth));
    await api.register(usersRoutes(users));
    await api.register(sessionsRoutes(sessions, auth));
    await api.register(conversationsRoutes(conversations));
    await api.register(messagesRoutes(messages));
    await api.register(receiptsRoutes(createMessageReceiptsService({ store })));
    await api.register(muteRoutes(createMuteService({ store, fanout, counters })));
    await api.register(searchRoutes(createSearchService({ store, toDtos: messages.toDtos })));
    await api.register(profileRoutes(profile));
    await api.register(botActionsRoutes(receipts, lifecycle));
    await api.register(uploadsRoutes(uploads, { maxBytes: config.uploads.maxBytes }));
    await api.register(notificationsRoutes(notifications));
  });
  void app.register(async (service) => {
    service.addHook('onRequest', authenticate(auth, 'service'));
    await service.register(serviceNotificationsRoutes(notifications));
  });
  void app.register(webRoutes(config.webDistDir, logger));
  return { app, io, readiness, inFlight, metrics };
}
