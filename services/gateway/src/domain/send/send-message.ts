import { AppError } from '@chat/core';
import { webhookPreviewOf } from '@chat/jobs';
import type { Message } from '@chat/protocol';
import type { HandoffEntry, SendRequest, SendState } from '@chat/send-state';
import {
  DuplicateKeyError,
  lastMessagePreviewOf,
  ObjectId,
  type AttachmentDoc,
  type InsertMessageInput,
  type MessageDoc,
  type MongoStore,
} from '@chat/store';
import type { Fanout } from '../fanout.js';
import { hex, oid } from '../ids.js';
import type { MembershipCache, SendAccess } from './membership-cache.js';
import type { MessageParts } from './message-parts.js';
import { mentionedMembers, namedUsers } from './mentions.js';
import { createSeqAllocator, type Allocation } from './seq-allocator.js';

export interface SendInput {
  conversationId: string;
  clientMsgId: string;
  text?: string;
  attachmentIds?: string[];
  replyToId?: string;
  /** The socket that sent it: it gets the message in its ack, not again as `message:new`. */
  originSocketId?: string;
}

export interface SentMessage {
  message: Message;
  /** False when this answered a resend with the message an earlier attempt stored. */
  created: boolean;
}

/** Members named in a message just stored, other than its sender. */
export interface MentionEvent {
  conversationId: ObjectId;
  messageId: ObjectId;
  senderId: ObjectId;
  userIds: ObjectId[];
  text: string;
}

/** A message about to be stored: its id is chosen before its seq. */
type Draft = InsertMessageInput & { _id: ObjectId };

/** Inserts that may each hit the seq index once more before the send gives up (UNAVAILABLE). */
const MAX_INSERTS = 4;

/**
 * A send, in round trips (docs/ARCHITECTURE.md follows one through the cluster):
 * - Redis: ONE script (@chat/send-state) spends the budget, claims the clientMsgId, takes the
 *   next seq from the conversation's counter, checks this node's membership entry is current
 *   and appends the worker's offline hand-off entry (three calls on a Redis Cluster, whose
 *   slots split them); for a direct message it also reads both members' presence (the
 *   sender's devices for the fan-out; no hand-off entry for an online recipient); plus the
 *   adapter's publish of the fan-out.
 * - MongoDB: ONE insert, batched with concurrent sends into one unordered insertMany (TWO in
 *   series with MONGO_SHARDED: the batch's clientMsgIds proxies first). The
 *   conversation's seq and preview and the sender's cursors are written behind, merged.
 * A node's first send into a conversation also reads its membership version and members once.
 * A text with `@name` in it costs one more MongoDB query (send/mentions.ts); notifying the
 * mentioned members happens after the ack's work, off the send's path (`onMentioned`).
 *
 * Safety rules:
 * - Acknowledged means stored: the ack and the fan-out happen only after MongoDB acknowledged
 *   the insert. The unique indexes, not Redis, decide: whatever Redis forgets, a message is
 *   stored once and a seq is never used twice (see `persist` below for each duplicate).
 * - Refused sends take no seq and claim nothing: every refusal of the script comes before its
 *   writes, and membership is checked before the script runs.
 */
export function createMessageSender(deps: {
  store: MongoStore;
  fanout: Fanout;
  sendState: SendState;
  access: MembershipCache;
  parts: MessageParts;
  /** DTOs of stored messages (reactions, fresh signed URLs). */
  toDtos: (docs: readonly MessageDoc[]) => Promise<Message[]>;
  /** The DTO of a message just inserted: no reactions yet, its attachments already loaded. */
  newMessageDto: (doc: MessageDoc, attachments: readonly AttachmentDoc[]) => Message;
  /** Called after the fan-out of a message that mentions members; must not throw. */
  onMentioned?: (event: MentionEvent) => void;
  /**
   * A user's presence set and the presence clock, for the send script to read in its one round
   * trip (@chat/send-state `presence`); absent on a Redis Cluster, where those sets live in
   * other slots.
   */
  presenceKeys?: {
    of: (userId: string) => string;
    now: () => number;
    /** The direct fan-out asks for the sender's device count (sharded adapter). */
    countSenderDevices: boolean;
  };
}) {
  const { store, fanout, access: cache, parts } = deps;
  const seqs = createSeqAllocator(deps);

  /** The message an earlier attempt with this clientMsgId stored, if any (CONFLICT elsewhere). */
  async function storedResend(
    senderId: ObjectId,
    input: SendInput,
  ): Promise<SentMessage | undefined> {
    const doc = await store.messages.findByClientMsgId(senderId, input.clientMsgId);
    if (!doc || !doc.senderId.equals(senderId) || doc.clientMsgId !== input.clientMsgId)
      return undefined;
    if (hex(doc.conversationId) !== input.conversationId)
      throw AppError.conflict('clientMsgId was already used for another conversation');
    const [message] = await deps.toDtos([doc]);
    return message ? { message, created: false } : undefined;
  }

  /** The cached entry if it lets the sender in; otherwise a fresh one must say so. */
  async function accessFor(conversationId: ObjectId, senderHex: string): Promise<SendAccess> {
    const cached = cache.peek(conversationId);
    if (cached) {
      try {
        cache.check(cached, senderHex);
        return cached;
      } catch {
        // A refusal from memory may be out of date (just added, just unblocked): ask MongoDB.
      }
    }
    const fresh = await cache.load(conversationId);
    cache.check(fresh, senderHex);
    return fresh;
  }

  /**
   * Inserts the message, resolving each unique index it can hit:
   * - `_id`: an attempt with the same clientMsgId (told the same id by the claim) stored it;
   * - `(senderId, clientMsgId)`: an attempt stored it under another id after Redis lost the
   *   claim (its seq stays unused: a gap only clients of this race can see), or, for another
   *   conversation, CONFLICT; sharded mode resolves its `(conversationId, senderId,
   *   clientMsgId)` index and its clientMsgIds proxy the same way (store client-msg-ids.ts);
   * - `(conversationId, seq)`: the counter was behind MongoDB: raise it and take a fresh seq.
   */
  async function persist(
    doc: Draft,
    allocation: Allocation,
    request: Omit<SendRequest, 'version'>,
    input: SendInput,
  ): Promise<{ doc: MessageDoc; created: true } | SentMessage> {
    let next = doc;
    let { access } = allocation;
    for (let attempt = 0; attempt < MAX_INSERTS; attempt++) {
      try {
        return { doc: await store.messages.insert(next), created: true };
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        if (err.involves('seq')) {
          const retried = await seqs.raiseAndRetry(access, request.senderId, request);
          access = retried.access;
          next = { ...next, seq: retried.seq };
          continue;
        }
        // An `_id` duplicate too: the claim told this attempt the first one's id, and that
        // message has this clientMsgId; the lookup by it names the shard key (a by-id read
        // would ask every shard).
        const stored = await storedResend(next.senderId, input);
        if (stored) return stored;
        // Sharded mode only (MONGO_SHARDED): the clientMsgIds proxy names another conversation
        // whose message was never stored (that attempt crashed between its two inserts). The
        // clientMsgId stays that conversation's, where a resend stores it.
        if (err.involves('clientMsgId'))
          throw AppError.conflict('clientMsgId was already used for another conversation');
        throw err;
      }
    }
    throw AppError.unavailable(new Error('the seq counter kept falling behind MongoDB'));
  }

  /** What the script reads of a direct message's two members' presence. */
  function directPresence(
    keys: NonNullable<typeof deps.presenceKeys>,
    senderHex: string,
    recipientHex: string,
  ): NonNullable<SendRequest['presence']> {
    return {
      now: keys.now(),
      recipient: keys.of(recipientHex),
      ...(keys.countSenderDevices ? { sender: keys.of(senderHex) } : {}),
    };
  }

  /** The script's request: who sends what where, and the worker's hand-off entry. */
  function sendRequest(
    doc: Draft,
    access: SendAccess,
    input: SendInput,
    attachments: readonly AttachmentDoc[],
  ): Omit<SendRequest, 'version'> {
    const senderHex = hex(doc.senderId);
    const handoff: HandoffEntry = {
      conversationId: input.conversationId,
      messageId: hex(doc._id),
      senderId: senderHex,
      version: access.version,
      preview: webhookPreviewOf(
        doc.text,
        attachments.map((a) => a.name),
      ),
    };
    if (access.type === 'direct') {
      const other = [...access.memberIds].find((id) => id !== senderHex);
      if (other !== undefined) handoff.recipientId = other;
    }
    return {
      conversationId: input.conversationId,
      senderId: senderHex,
      clientMsgId: input.clientMsgId,
      messageId: hex(doc._id),
      handoff,
      ...(handoff.recipientId !== undefined && deps.presenceKeys
        ? { presence: directPresence(deps.presenceKeys, senderHex, handoff.recipientId) }
        : {}),
    };
  }

  return {
    async send(senderHex: string, input: SendInput): Promise<SentMessage> {
      const senderId = oid(senderHex);
      const conversationId = oid(input.conversationId, 'conversationId');
      const [attachments, access] = await Promise.all([
        parts.ownAttachments(senderId, input.attachmentIds ?? []),
        accessFor(conversationId, senderHex).catch(async (refused: unknown) => {
          // A resend of a message that was stored still gets it, whatever changed since.
          const stored = await storedResend(senderId, input);
          if (stored) return stored;
          throw refused;
        }),
      ]);
      if ('message' in access) return access;
      const text = parts.text(input.text, attachments.length > 0);
      const [replyTo, named] = await Promise.all([
        input.replyToId ? parts.replyTo(conversationId, senderId, input.replyToId) : undefined,
        namedUsers(store, text),
      ]);

      const draft: Draft = {
        _id: new ObjectId(),
        conversationId,
        seq: 0,
        senderId,
        clientMsgId: input.clientMsgId,
        ...(text !== undefined ? { text } : {}),
        attachmentIds: attachments.map((a) => a._id),
        ...(replyTo ? { replyTo } : {}),
        createdAt: new Date(),
      };
      const request = sendRequest(draft, access, input, attachments);
      const allocation = await seqs.allocate(access, senderHex, request);
      // The members the script accepted, which may be newer than `access`.
      const mentions = mentionedMembers(named, allocation.access.memberIds);
      const doc: Draft = {
        ...draft,
        ...(mentions.length > 0 ? { mentions } : {}),
        seq: allocation.seq,
        ...(allocation.kind === 'resent' ? { _id: oid(allocation.messageId) } : {}),
      };
      const [result] = await Promise.all([
        persist(doc, allocation, request, input),
        attachments.length > 0
          ? store.attachments.markUsed(
              attachments.map((a) => a._id),
              senderId,
            )
          : undefined,
      ]);
      if (!('doc' in result)) return result;

      const message = deps.newMessageDto(result.doc, attachments);
      fanout.toConversation(
        input.conversationId,
        'message:new',
        { message },
        {
          ...(input.originSocketId !== undefined ? { exceptSocket: input.originSocketId } : {}),
          ...(access.type === 'direct'
            ? {
                direct: {
                  memberIds: [...access.memberIds],
                  senderId: senderHex,
                  ...(allocation.devices !== undefined
                    ? { senderDevices: allocation.devices }
                    : {}),
                },
              }
            : {}),
        },
      );
      store.conversations.recordMessage({
        conversationId,
        preview: lastMessagePreviewOf(
          result.doc,
          attachments.map((a) => a.kind),
        ),
      });
      store.memberships.moveOwnCursors(
        conversationId,
        senderId,
        result.doc.seq,
        result.doc.createdAt,
      );
      const mentioned = mentions.filter((id) => !id.equals(senderId));
      if (mentioned.length > 0 && text !== undefined) {
        deps.onMentioned?.({
          conversationId,
          messageId: result.doc._id,
          senderId,
          userIds: mentioned,
          text,
        });
      }
      return { message, created: true };
    },
  };
}
