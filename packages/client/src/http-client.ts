import { newClientMsgId } from './client-msg-id.js';
import type {
  Conversation,
  HistoryResponse,
  ListConversationsResponse,
  Message,
  MessageEdit,
  MessageReceiptsResponse,
  Reaction,
  SearchResponse,
} from './protocol-types.js';
import { HttpAccountApi } from './http-account-api.js';

import type { HttpClientOptions } from './http-transport.js';

export type { HttpClientOptions };

export interface SendMessageInput {
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
  /** Idempotency key; generated when absent. Reuse it when retrying the same send. */
  clientMsgId?: string;
}

const enc = encodeURIComponent;

/**
 * Typed wrapper of docs/PROTOCOL.md#section-2. Every failure throws `ChatError`. Accounts, devices, uploads and
 * notifications come from HttpAccountApi; conversations and messages are here.
 */
export class HttpClient extends HttpAccountApi {
  // ---- conversations ----
  /** Get-or-create the one direct conversation with `userId`. */
  openDirect(userId: string): Promise<Conversation> {
    return this.http.call('POST', '/api/conversations/direct', { json: { userId } });
  }

  createGroup(body: { title: string; memberIds: string[] }): Promise<Conversation> {
    return this.http.call('POST', '/api/conversations/group', { json: body });
  }

  listConversations(
    options: { limit?: number; cursor?: string } = {},
  ): Promise<ListConversationsResponse> {
    return this.http.call('GET', '/api/conversations', {
      query: { limit: options.limit, cursor: options.cursor },
    });
  }

  getConversation(conversationId: string): Promise<Conversation> {
    return this.http.call('GET', `/api/conversations/${enc(conversationId)}`);
  }

  /**
   * Rename a group or change its photo (owner/admin): `avatarAttachmentId` of your image
   * upload sets it, `avatarUrl: null` removes it.
   */
  patchConversation(
    conversationId: string,
    body: { title?: string; avatarAttachmentId?: string; avatarUrl?: string | null },
  ): Promise<Conversation> {
    return this.http.call('PATCH', `/api/conversations/${enc(conversationId)}`, { json: body });
  }

  addMembers(conversationId: string, userIds: string[]): Promise<Conversation> {
    return this.http.call('POST', `/api/conversations/${enc(conversationId)}/members`, {
      json: { userIds },
    });
  }

  /** Owner/admin removes a member; `userId` = yourself leaves. */
  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.http.call(
      'DELETE',
      `/api/conversations/${enc(conversationId)}/members/${enc(userId)}`,
    );
  }

  /** The answer's body is returned as is (docs/PROTOCOL.md#section-2 does not fix it; expected: the conversation). */
  setRole(
    conversationId: string,
    userId: string,
    role: 'admin' | 'member',
  ): Promise<Conversation | undefined> {
    return this.http.call(
      'PATCH',
      `/api/conversations/${enc(conversationId)}/members/${enc(userId)}`,
      {
        json: { role },
      },
    );
  }

  /** Mutes for yourself until an ISO time, `'forever'`, or `null` to unmute (docs/PROTOCOL.md#section-7). */
  setMute(conversationId: string, mutedUntil: string | null): Promise<Conversation> {
    return this.http.call('PATCH', `/api/conversations/${enc(conversationId)}/members/me`, {
      json: { mutedUntil },
    });
  }

  async deleteConversation(conversationId: string): Promise<void> {
    await this.http.call('DELETE', `/api/conversations/${enc(conversationId)}`);
  }

  // ---- messages ----
  /** `before` → newest first; `after` → oldest first (catch-up). */
  history(
    conversationId: string,
    options: { before?: number; after?: number; limit?: number } = {},
  ): Promise<HistoryResponse> {
    return this.http.call('GET', `/api/conversations/${enc(conversationId)}/messages`, {
      query: { ...options },
    });
  }

  postMessage(conversationId: string, input: SendMessageInput): Promise<Message> {
    const body = { ...input, clientMsgId: input.clientMsgId ?? newClientMsgId() };
    return this.http.call('POST', `/api/conversations/${enc(conversationId)}/messages`, {
      json: body,
    });
  }

  async searchMessages(
    conversationId: string,
    q: string,
    options: { limit?: number } = {},
  ): Promise<Message[]> {
    const res = await this.http.call<{ messages: Message[] }>(
      'GET',
      `/api/conversations/${enc(conversationId)}/messages/search`,
      { query: { q, limit: options.limit } },
    );
    return res.messages;
  }

  /** Who read / has a message (members other than its sender, docs/PROTOCOL.md#section-7). */
  messageReceipts(conversationId: string, messageId: string): Promise<MessageReceiptsResponse> {
    return this.http.call(
      'GET',
      `/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/receipts`,
    );
  }

  /** Every word of `q` across your conversations, newest first (docs/PROTOCOL.md#section-7). */
  search(q: string, options: { limit?: number; cursor?: string } = {}): Promise<SearchResponse> {
    return this.http.call('GET', '/api/search', {
      query: { q, limit: options.limit, cursor: options.cursor },
    });
  }

  // ---- HTTP forms of socket events (docs/PROTOCOL.md#section-7), for bots without a socket ----
  /** Moves your read cursor forward (a lower seq is ignored); answers the cursor as stored. */
  async markRead(conversationId: string, seq: number): Promise<number> {
    const res = await this.http.call<{ readSeq: number }>(
      'POST',
      `/api/conversations/${enc(conversationId)}/read`,
      { json: { seq } },
    );
    return res.readSeq;
  }

  async markDelivered(conversationId: string, seq: number): Promise<number> {
    const res = await this.http.call<{ deliveredSeq: number }>(
      'POST',
      `/api/conversations/${enc(conversationId)}/delivered`,
      { json: { seq } },
    );
    return res.deliveredSeq;
  }

  /** Your own message, within the edit window. */
  editMessage(messageId: string, text: string): Promise<Message> {
    return this.http.call('PATCH', `/api/messages/${enc(messageId)}`, { json: { text } });
  }

  async deleteMessage(messageId: string, scope: 'me' | 'everyone'): Promise<void> {
    await this.http.call('DELETE', `/api/messages/${enc(messageId)}`, { query: { scope } });
  }

  /** Adding an emoji you already put there (or removing one you did not) changes nothing. */
  async react(messageId: string, emoji: string, op: 'add' | 'remove' = 'add'): Promise<Reaction[]> {
    const res = await this.http.call<{ reactions: Reaction[] }>(
      'POST',
      `/api/messages/${enc(messageId)}/reactions`,
      { json: { emoji, op } },
    );
    return res.reactions;
  }

  /** Earlier versions of a message, oldest first (empty once deleted for everyone). */
  async messageEdits(messageId: string): Promise<MessageEdit[]> {
    const res = await this.http.call<{ edits: MessageEdit[] }>(
      'GET',
      `/api/messages/${enc(messageId)}/edits`,
    );
    return res.edits;
  }
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  return new HttpClient(options);
}
