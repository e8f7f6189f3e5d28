import { readFileSync } from 'node:fs';
import type { NotificationDeliveryJob } from '@chat/jobs';
import {
  AddMembersBody,
  Attachment,
  ChangePasswordBody,
  ClientEvents,
  DeleteMessageQuery,
  HistoryQuery,
  ListConversationsQuery,
  NotificationsListQuery,
  RevokeSessionsQuery,
  SearchMessagesQuery,
  SearchQuery,
  UserSearchQuery,
  Conversation,
  CursorBody,
  DirectConversationBody,
  EditMessageBody,
  ERROR_INFO,
  GroupConversationBody,
  LoginBody,
  Message,
  MuteBody,
  Notification,
  OfflineMentionWebhook,
  OfflineMessageWebhook,
  PatchConversationBody,
  PatchMeBody,
  PatchMemberBody,
  PostMessageBody,
  PostNotificationBody,
  Presence,
  ReactBody,
  RefreshBody,
  RegisterBody,
  ServerEvents,
  Session,
  SystemEvent,
  User,
  UserUpdatedEvent,
  type AuthRenewAck,
  type ClientToServerEvents,
  type ConversationDeliveredAck,
  type ConversationReadAck,
  type ConversationRemovedEvent,
  type ConversationUpdatedEvent,
  type EmptyAck,
  type ErrorEvent,
  type FileUploadAck,
  type MessageAck,
  type MessageEvent,
  type MessageHistoryAck,
  type MessageReactAck,
  type MessageReactionsEvent,
  type NotificationNewEvent,
  type PresenceQueryAck,
  type ReceiptEvent,
  type ServerDrainingEvent,
  type ServerToClientEvents,
  type SessionEvent,
  type SyncAck,
  type TypingEvent,
} from '@chat/protocol';
import {
  AuthRenewPayload,
  ConversationDeliveredPayload,
  ConversationReadPayload,
  FileUploadPayload,
  MessageDeletePayload,
  MessageEditPayload,
  MessageHistoryPayload,
  MessageReactPayload,
  MessageSendPayload,
  PresenceQueryPayload,
  SyncPayload,
  TypingPayload,
} from '@chat/protocol';
import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { ROUTE_DOCS } from '../src/http/openapi-docs.js';
import {
  codeOf,
  compareKeys,
  compareShape,
  definitions,
  keysOf,
  parseShape,
  routes,
  tableRows,
  type DocShape,
} from './fixtures/contract-doc.js';

/**
 * docs/PROTOCOL.md is the contract clients code against. These checks tie it to the code:
 * every socket event, HTTP route and error code is documented, and every documented field of
 * the main payloads exists in the schema with the same optionality, and the other way round.
 */
const doc = readFileSync(new URL('../../../docs/PROTOCOL.md', import.meta.url), 'utf8');

type Expected = TSchema | readonly string[];

function differences(shapeText: string | undefined, expected: Expected, path: string): string[] {
  if (shapeText === undefined) return [`${path}: not documented`];
  const shape: DocShape = parseShape(shapeText);
  return Array.isArray(expected)
    ? compareKeys(shape, expected as readonly string[], path)
    : compareShape(shape, expected as TSchema, path);
}

/** Payload schema and ack keys of every client → server event (a missing event is a type error). */
const CLIENT_EVENTS: { [E in keyof ClientToServerEvents]: { payload: TSchema; ack: Expected } } = {
  'message:send': { payload: MessageSendPayload, ack: keysOf<MessageAck>()('message') },
  'message:edit': { payload: MessageEditPayload, ack: keysOf<MessageAck>()('message') },
  'message:delete': { payload: MessageDeletePayload, ack: keysOf<EmptyAck>()() },
  'message:react': { payload: MessageReactPayload, ack: keysOf<MessageReactAck>()('reactions') },
  'conversation:read': {
    payload: ConversationReadPayload,
    ack: keysOf<ConversationReadAck>()('readSeq'),
  },
  'conversation:delivered': {
    payload: ConversationDeliveredPayload,
    ack: keysOf<ConversationDeliveredAck>()('deliveredSeq'),
  },
  'typing:start': { payload: TypingPayload, ack: keysOf<EmptyAck>()() },
  'typing:stop': { payload: TypingPayload, ack: keysOf<EmptyAck>()() },
  'presence:query': { payload: PresenceQueryPayload, ack: keysOf<PresenceQueryAck>()('presence') },
  sync: {
    payload: SyncPayload,
    ack: keysOf<SyncAck>()('conversations', 'changed', 'removed'),
  },
  'message:history': {
    payload: MessageHistoryPayload,
    ack: keysOf<MessageHistoryAck>()('messages', 'hasMore'),
  },
  'file:upload': { payload: FileUploadPayload, ack: keysOf<FileUploadAck>()('attachment') },
  'auth:renew': { payload: AuthRenewPayload, ack: keysOf<AuthRenewAck>()('exp') },
};

/** Payload of every server → client event: its schema, or its keys when it is an interface. */
const SERVER_EVENTS: { [E in keyof ServerToClientEvents]: Expected } = {
  session: keysOf<SessionEvent>()('userId', 'nodeId', 'serverTime'),
  'message:new': keysOf<MessageEvent>()('message'),
  'message:updated': keysOf<MessageEvent>()('message'),
  'message:reactions': keysOf<MessageReactionsEvent>()('conversationId', 'messageId', 'reactions'),
  receipt: keysOf<ReceiptEvent>()('conversationId', 'userId', 'readSeq', 'deliveredSeq', 'at'),
  typing: keysOf<TypingEvent>()('conversationId', 'userId', 'state'),
  presence: Presence,
  'conversation:updated': keysOf<ConversationUpdatedEvent>()('conversation'),
  'conversation:removed': keysOf<ConversationRemovedEvent>()('conversationId'),
  'notification:new': keysOf<NotificationNewEvent>()('notification'),
  'user:updated': UserUpdatedEvent,
  error: keysOf<ErrorEvent>()('event', 'code', 'message'),
  'server:draining': keysOf<ServerDrainingEvent>()('reconnectAfterMs'),
};

/** The `name` = `{ … }` definitions of the doc and what each must match. */
const MODELS: Record<string, Expected> = {
  user: User,
  conversation: Conversation,
  message: Message,
  system: SystemEvent,
  attachment: Attachment,
  notification: Notification,
  presence: Presence,
  session: Session,
  'webhook.message': OfflineMessageWebhook,
  'webhook.mention': OfflineMentionWebhook,
  'webhook.notification': keysOf<NotificationDeliveryJob>()(
    'type',
    'deliveryId',
    'userId',
    'notificationId',
    'kind',
    'title',
    'body',
    'data',
  ),
};

/** Request bodies, keyed like ROUTE_DOCS (the route schemas the gateway validates with). */
const BODIES: Record<string, TSchema> = {
  'POST /api/auth/register': RegisterBody,
  'POST /api/auth/login': LoginBody,
  'POST /api/auth/refresh': RefreshBody,
  'POST /api/auth/logout': RefreshBody,
  'PATCH /api/users/me': PatchMeBody,
  'POST /api/users/me/password': ChangePasswordBody,
  'POST /api/conversations/direct': DirectConversationBody,
  'POST /api/conversations/group': GroupConversationBody,
  'PATCH /api/conversations/{id}': PatchConversationBody,
  'POST /api/conversations/{id}/members': AddMembersBody,
  'PATCH /api/conversations/{id}/members/{userId}': PatchMemberBody,
  'PATCH /api/conversations/{id}/members/me': MuteBody,
  'POST /api/conversations/{id}/messages': PostMessageBody,
  'POST /api/conversations/{id}/read': CursorBody,
  'POST /api/conversations/{id}/delivered': CursorBody,
  'PATCH /api/messages/{id}': EditMessageBody,
  'POST /api/messages/{id}/reactions': ReactBody,
  'POST /api/notifications': PostNotificationBody,
};
/** Query strings the route schemas validate, keyed like ROUTE_DOCS. */
const QUERIES: Record<string, TSchema> = {
  'GET /api/users': UserSearchQuery,
  'GET /api/conversations': ListConversationsQuery,
  'GET /api/conversations/{id}/messages': HistoryQuery,
  'GET /api/conversations/{id}/messages/search': SearchMessagesQuery,
  'GET /api/search': SearchQuery,
  'GET /api/notifications': NotificationsListQuery,
  'DELETE /api/users/me/sessions': RevokeSessionsQuery,
  'DELETE /api/messages/{id}': DeleteMessageQuery,
};
/** The signed file link's `exp` and `sig` are read by the signer, not by a schema. */
const SIGNED_QUERIES = new Set(['GET /files/{id}/{name}']);

/** `{ ids? | all: true }` is a union the notation cannot express field by field. */
const UNION_BODIES = new Set(['POST /api/notifications/read']);

describe('docs/PROTOCOL.md matches the code', () => {
  it('documents every client → server event with its payload and ack fields', () => {
    const rows = tableRows(doc, '### Client → server');
    const documented = new Map(rows.map((cells) => [codeOf(cells[0]), cells]));
    expect([...documented.keys()].sort()).toEqual(Object.keys(CLIENT_EVENTS).sort());
    expect(Object.values(ClientEvents).sort()).toEqual(Object.keys(CLIENT_EVENTS).sort());
    const problems = Object.entries(CLIENT_EVENTS).flatMap(([event, { payload, ack }]) => {
      const cells = documented.get(event);
      return [
        ...differences(cells && codeOf(cells[1]), payload, `${event} payload`),
        ...differences(cells && codeOf(cells[2]), ack, `${event} ack`),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('documents every server → client event with its payload fields', () => {
    const rows = tableRows(doc, '### Server → client');
    const documented = new Map(rows.map((cells) => [codeOf(cells[0]), codeOf(cells[1])]));
    expect([...documented.keys()].sort()).toEqual(Object.keys(SERVER_EVENTS).sort());
    expect(Object.values(ServerEvents).sort()).toEqual(Object.keys(SERVER_EVENTS).sort());
    const problems = Object.entries(SERVER_EVENTS).flatMap(([event, expected]) =>
      differences(documented.get(event), expected, `${event} payload`),
    );
    expect(problems).toEqual([]);
  });

  it('documents every HTTP route the gateway registers, and no other', () => {
    // ROUTE_DOCS lists every registered route (openapi.int.test.ts checks that against fastify).
    expect([...routes(doc).keys()].sort()).toEqual(Object.keys(ROUTE_DOCS).sort());
  });

  it('documents every request body with the fields of its schema', () => {
    const documented = routes(doc);
    const withBody = [...documented].filter(([, r]) => r.body !== undefined).map(([r]) => r);
    expect(withBody.filter((r) => !UNION_BODIES.has(r)).sort()).toEqual(Object.keys(BODIES).sort());
    const problems = Object.entries(BODIES).flatMap(([route, schema]) =>
      differences(documented.get(route)?.body, schema, `${route} body`),
    );
    expect(problems).toEqual([]);
  });

  it('names every query parameter of the route schemas, and no other', () => {
    const documented = routes(doc);
    const withQuery = [...documented].filter(([, r]) => r.query.size > 0).map(([r]) => r);
    expect(withQuery.filter((r) => !SIGNED_QUERIES.has(r)).sort()).toEqual(
      Object.keys(QUERIES).sort(),
    );
    const problems = Object.entries(QUERIES).flatMap(([route, schema]) => {
      const named = [...(documented.get(route)?.query ?? [])].sort();
      const expected = Object.keys((schema as TSchema & { properties: object }).properties).sort();
      return named.join() === expected.join()
        ? []
        : [
            `${route} query: docs/PROTOCOL.md names ${named.join(', ')}; the schema has ${expected.join(', ')}`,
          ];
    });
    expect(problems).toEqual([]);
  });

  it('defines the main payloads with exactly the fields of their schemas', () => {
    const defined = definitions(doc);
    expect([...defined.keys()].sort()).toEqual(Object.keys(MODELS).sort());
    const problems = Object.entries(MODELS).flatMap(([name, expected]) =>
      differences(defined.get(name), expected, name),
    );
    expect(problems).toEqual([]);
  });

  it('lists every error code with its HTTP status', () => {
    const rows = tableRows(doc, '### Errors');
    const documented = Object.fromEntries(
      rows.map((cells) => [codeOf(cells[0]), Number(cells[1])]),
    );
    const expected = Object.fromEntries(
      Object.entries(ERROR_INFO).map(([code, info]) => [code, info.status]),
    );
    expect(documented).toEqual(expected);
  });

  it('keeps the numbered anchors that code and docs link to (PROTOCOL sections, DESIGN decisions)', () => {
    for (let n = 1; n <= 7; n += 1) expect(doc).toContain(`<a id="section-${n}"></a>`);
    const design = readFileSync(new URL('../../../docs/DESIGN.md', import.meta.url), 'utf8');
    for (let n = 1; n <= 10; n += 1) expect(design).toContain(`<a id="decision-${n}"></a>`);
  });
});
