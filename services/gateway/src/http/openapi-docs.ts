import {
  AuthResponse,
  BlockedUsersResponse,
  Conversation,
  DeliveredResponse,
  HistoryResponse,
  HttpErrorResponse,
  ListConversationsResponse,
  Message,
  MessageEditsResponse,
  Notification,
  NotificationsListResponse,
  MessageReceiptsResponse,
  ReactionsResponse,
  ReadResponse,
  RefreshResponse,
  SearchResponse,
  SessionsResponse,
  SearchMessagesResponse,
  UploadResponse,
  User,
  UserSearchResponse,
  UserWithPresence,
} from '@chat/protocol';
import type { TSchema } from '@sinclair/typebox';

export interface RouteDoc {
  summary: string;
  /** status → body schema (`null` = no body). Documentation only: fastify does not serialize with it. */
  responses: Record<number, TSchema | null>;
}

/**
 * Summaries and response bodies of docs/PROTOCOL.md#section-2, keyed `METHOD url`. They live here, not in
 * the route options, because a `response` schema in a route would also change how fastify
 * serializes the answer; the OpenAPI document only needs to describe it.
 */
export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'POST /api/auth/register': {
    summary: 'Create an account and get an access token',
    responses: { 201: AuthResponse },
  },
  'POST /api/auth/login': {
    summary: 'Log in with username and password',
    responses: { 200: AuthResponse },
  },
  'POST /api/auth/refresh': {
    summary:
      'Exchange a refresh token for new tokens (rotation; a reused token revokes its session)',
    responses: { 200: RefreshResponse },
  },
  'POST /api/auth/logout': {
    summary: 'End the session of a refresh token',
    responses: { 204: null },
  },
  'GET /api/users/me': { summary: 'The authenticated user', responses: { 200: User } },
  'PATCH /api/users/me': {
    summary: 'Change your display name or avatar (contacts get user:updated)',
    responses: { 200: User },
  },
  'GET /avatars/{id}': {
    summary: 'A user’s avatar or a group’s photo (public, only while in use)',
    responses: { 200: null },
  },
  'GET /api/users/me/sessions': {
    summary: 'Your signed-in devices',
    responses: { 200: SessionsResponse },
  },
  'DELETE /api/users/me/sessions/{id}': {
    summary: 'Sign a device out (its sockets are disconnected)',
    responses: { 204: null },
  },
  'DELETE /api/users/me/sessions': {
    summary: 'Sign out every other device (`?others=true`)',
    responses: { 204: null },
  },
  'POST /api/users/me/password': {
    summary: 'Change your password; every other device is signed out',
    responses: { 204: null },
  },
  'GET /api/users': {
    summary: 'Search users by username/display-name prefix',
    responses: { 200: UserSearchResponse },
  },
  'GET /api/users/{id}': { summary: 'A user with presence', responses: { 200: UserWithPresence } },
  'GET /api/users/me/blocks': {
    summary: 'The users you blocked, most recent first',
    responses: { 200: BlockedUsersResponse },
  },
  'POST /api/users/{id}/block': { summary: 'Block a user', responses: { 204: null } },
  'DELETE /api/users/{id}/block': { summary: 'Unblock a user', responses: { 204: null } },
  'POST /api/conversations/direct': {
    summary: 'Get or create the direct conversation with a user',
    responses: { 200: Conversation, 201: Conversation },
  },
  'POST /api/conversations/group': {
    summary: 'Create a group (caller becomes owner)',
    responses: { 201: Conversation },
  },
  'GET /api/conversations': {
    summary: 'Conversations, most recent activity first',
    responses: { 200: ListConversationsResponse },
  },
  'GET /api/conversations/{id}': {
    summary: 'One conversation (members only)',
    responses: { 200: Conversation },
  },
  'PATCH /api/conversations/{id}': {
    summary:
      'Rename a group or change its photo (avatarAttachmentId of your image upload, avatarUrl: null removes it)',
    responses: { 200: Conversation },
  },
  'DELETE /api/conversations/{id}': { summary: 'Close a group (owner)', responses: { 204: null } },
  'POST /api/conversations/{id}/members': {
    summary: 'Add members (owner/admin)',
    responses: { 200: Conversation },
  },
  'DELETE /api/conversations/{id}/members/{userId}': {
    summary: 'Remove a member, or leave (own id)',
    responses: { 204: null },
  },
  'PATCH /api/conversations/{id}/members/{userId}': {
    summary: "Change a member's role (owner)",
    responses: { 200: Conversation },
  },
  'PATCH /api/conversations/{id}/members/me': {
    summary: 'Mute the conversation for yourself (until a time, or "forever"; null unmutes)',
    responses: { 200: Conversation },
  },
  'GET /api/conversations/{id}/messages': {
    summary: 'History: `before` → newest first, `after` → oldest first',
    responses: { 200: HistoryResponse },
  },
  'POST /api/conversations/{id}/messages': {
    summary: 'Send a message (idempotent per clientMsgId)',
    responses: { 200: Message, 201: Message },
  },
  'GET /api/conversations/{id}/messages/search': {
    summary: 'Search the messages of a conversation',
    responses: { 200: SearchMessagesResponse },
  },
  'GET /api/conversations/{id}/messages/{messageId}/receipts': {
    summary: 'Who read a message and who has it (members other than the sender)',
    responses: { 200: MessageReceiptsResponse },
  },
  'GET /api/search': {
    summary: 'Search your conversations (every word of q), newest first',
    responses: { 200: SearchResponse },
  },
  'POST /api/conversations/{id}/read': {
    summary: 'Move your read cursor forward (HTTP form of conversation:read)',
    responses: { 200: ReadResponse },
  },
  'POST /api/conversations/{id}/delivered': {
    summary: 'Move your delivered cursor forward (HTTP form of conversation:delivered)',
    responses: { 200: DeliveredResponse },
  },
  'PATCH /api/messages/{id}': {
    summary: 'Edit your message within the edit window (HTTP form of message:edit)',
    responses: { 200: Message },
  },
  'DELETE /api/messages/{id}': {
    summary: 'Delete a message for you or for everyone (HTTP form of message:delete)',
    responses: { 204: null },
  },
  'POST /api/messages/{id}/reactions': {
    summary: 'Add or remove your reaction (HTTP form of message:react)',
    responses: { 200: ReactionsResponse },
  },
  'GET /api/messages/{id}/edits': {
    summary: 'Earlier versions of an edited message, oldest first',
    responses: { 200: MessageEditsResponse },
  },
  'POST /api/uploads': {
    summary: 'Upload one file (multipart field `file`)',
    responses: { 201: UploadResponse },
  },
  'GET /api/notifications': {
    summary: 'Your notifications',
    responses: { 200: NotificationsListResponse },
  },
  'POST /api/notifications/read': { summary: 'Mark notifications read', responses: { 204: null } },
  'POST /api/notifications': {
    summary: 'Create a notification for a user (service token)',
    responses: { 201: Notification },
  },
  'GET /files/{id}/{name}': {
    summary: 'Download a file through its signed link',
    responses: { 200: null },
  },
  'GET /healthz': { summary: 'Liveness', responses: { 200: null } },
  'GET /readyz': {
    summary: 'Readiness (Mongo and Redis reachable, not draining)',
    responses: { 200: null, 503: null },
  },
  'GET /metrics': { summary: 'Prometheus metrics', responses: { 200: null } },
};

export const ERROR_RESPONSE = HttpErrorResponse;
