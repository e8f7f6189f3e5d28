import { AppError } from '@chat/core';
import {
  checkMessageText,
  LIMITS,
  type Message,
  type MessageEdit,
  type Reaction,
} from '@chat/protocol';
import {
  quoteOf,
  toReactionDtos,
  type MessageDoc,
  type MongoStore,
  type ObjectId,
} from '@chat/store';
import { requireMember, type MemberView } from './conversation-views.js';
import type { Fanout } from './fanout.js';
import { hex, oid } from './ids.js';

export interface EditInput {
  messageId: string;
  text: string;
}

export interface DeleteInput {
  messageId: string;
  scope: 'me' | 'everyone';
}

export interface ReactInput {
  messageId: string;
  emoji: string;
  op: 'add' | 'remove';
}

export interface MessageLifecycleOptions {
  store: MongoStore;
  fanout: Fanout;
  /** messages.service's DTO builder: reactions plus freshly signed attachment URLs. */
  toDtos: (docs: readonly MessageDoc[]) => Promise<Message[]>;
  /** Edits and the sender's delete-for-everyone are allowed this long after sending. */
  editWindowMs: number;
  textMaxChars: number;
  /** @default () => new Date() */
  now?: () => Date;
}

export type MessageLifecycleService = ReturnType<typeof createMessageLifecycleService>;

interface VisibleMessage {
  doc: MessageDoc;
  view: MemberView;
}

/**
 * Edit, delete (for me / for everyone) and reactions (docs/PROTOCOL.md#section-3). A message the caller
 * cannot see — not a member, deleted "for me", before their hiddenBefore — is NOT_FOUND,
 * exactly like a missing one, so ids reveal nothing.
 */
export function createMessageLifecycleService(options: MessageLifecycleOptions) {
  const { store, fanout } = options;
  const now = options.now ?? (() => new Date());

  /** `alreadyHiddenOk`: a repeated delete-for-me succeeds instead of NOT_FOUND. */
  async function loadVisible(
    userId: ObjectId,
    messageHex: string,
    alreadyHiddenOk = false,
  ): Promise<VisibleMessage> {
    const doc = await store.messages.findById(oid(messageHex, 'messageId'));
    if (!doc) throw AppError.notFound('Message not found');
    const view = await requireMember(store, doc.conversationId, userId).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'NOT_FOUND')
        throw AppError.notFound('Message not found');
      throw err;
    });
    const hidden =
      (!alreadyHiddenOk && (doc.hiddenFor ?? []).some((id) => id.equals(userId))) ||
      doc.seq <= (view.membership.hiddenBefore ?? 0);
    if (hidden) throw AppError.notFound('Message not found');
    return { doc, view };
  }

  function withinWindow(doc: MessageDoc, at: Date): boolean {
    return at.getTime() - doc.createdAt.getTime() < options.editWindowMs;
  }

  async function dtoOf(doc: MessageDoc): Promise<Message> {
    const [message] = await options.toDtos([doc]);
    if (!message) throw new Error('message DTO missing');
    return message;
  }

  async function broadcastUpdated(doc: MessageDoc): Promise<Message> {
    const message = await dtoOf(doc);
    fanout.toConversation(hex(doc.conversationId), 'message:updated', { message });
    return message;
  }

  return {
    /** Sender only, within the edit window; the previous text is kept in `edits` (see `history`). */
    async edit(userHex: string, input: EditInput): Promise<{ message: Message }> {
      const userId = oid(userHex);
      const { doc } = await loadVisible(userId, input.messageId);
      if (doc.deletedAt) throw AppError.notFound('Message not found');
      // A system line records a change; its actor is its senderId but not its author.
      if (doc.kind === 'system') throw AppError.forbidden('System messages cannot be edited');
      if (!doc.senderId.equals(userId))
        throw AppError.forbidden('Only the sender can edit a message');
      const at = now();
      if (!withinWindow(doc, at))
        throw AppError.editWindowClosed('The edit window for this message has closed');
      const checked = checkMessageText(input.text, false, options.textMaxChars);
      if (!checked.ok || checked.text === undefined) {
        if (checked.ok)
          throw AppError.validation({ fields: [{ path: '/text', message: 'text required' }] });
        throw checked.code === 'PAYLOAD_TOO_LARGE'
          ? AppError.payloadTooLarge(checked.message)
          : AppError.validation({ fields: [{ path: '/text', message: checked.message }] });
      }
      const text = checked.text;
      // An unchanged text is not a new version: answer with the message as it is.
      if (text === doc.text) return { message: await dtoOf(doc) };
      const updated = await store.messages.edit(doc._id, text, at);
      if (!updated) throw AppError.notFound('Message not found');
      // Keep the list preview and the quotes in replies in step with the new text.
      const quote = quoteOf(text);
      await Promise.all([
        store.conversations.reviseLastMessage(
          doc.conversationId,
          { id: doc._id, createdAt: doc.createdAt },
          { text: quote },
        ),
        store.messages.reviseReplyQuotes(doc.conversationId, doc._id, quote),
      ]);
      return { message: await broadcastUpdated(updated) };
    },

    /**
     * "me": any member, idempotent, only that user stops seeing it (no event; their
     * other devices drop it on the next history/sync). "everyone": the sender within the
     * edit window, or a group owner/admin at any time; members get a tombstone.
     */
    async delete(userHex: string, input: DeleteInput): Promise<Record<never, never>> {
      const userId = oid(userHex);
      const { doc, view } = await loadVisible(userId, input.messageId, input.scope === 'me');
      if (input.scope === 'me') {
        await store.messages.hideForUser(doc._id, userId);
        return {};
      }
      if (doc.deletedAt) return {};
      if (doc.kind === 'system')
        throw AppError.forbidden('System messages cannot be deleted for everyone');
      const isSender = doc.senderId.equals(userId);
      const isModerator = view.conversation.type === 'group' && view.membership.role !== 'member';
      const at = now();
      if (!isModerator) {
        if (!isSender)
          throw AppError.forbidden(
            'Only the sender or a group owner/admin can delete for everyone',
          );
        if (!withinWindow(doc, at))
          throw AppError.editWindowClosed('The window to delete this message has closed');
      }
      const tombstone = await store.messages.deleteForEveryone(doc._id, at);
      // Null: another request deleted it first and already told everyone.
      if (!tombstone) return {};
      // A deleted text must not live on in previews or in the quotes of replies to it.
      await Promise.all([
        store.conversations.reviseLastMessage(
          doc.conversationId,
          { id: doc._id, createdAt: doc.createdAt },
          'deleted',
        ),
        store.messages.reviseReplyQuotes(doc.conversationId, doc._id),
      ]);
      await broadcastUpdated(tombstone);
      return {};
    },

    /**
     * Earlier versions, oldest first, for a member who can see the message (docs/PROTOCOL.md#section-7);
     * `editedAt` is when that version was written. A tombstone has none: deleting for
     * everyone removes them from the document too.
     */
    async history(userHex: string, messageId: string): Promise<{ edits: MessageEdit[] }> {
      const { doc } = await loadVisible(oid(userHex), messageId);
      if (doc.deletedAt) return { edits: [] };
      return {
        edits: (doc.edits ?? []).map((e) => ({ text: e.text, editedAt: e.at.toISOString() })),
      };
    },

    /** One of each emoji per user (repeats count once); ≤ 20 distinct emoji per message. */
    async react(userHex: string, input: ReactInput): Promise<{ reactions: Reaction[] }> {
      const userId = oid(userHex);
      const { doc } = await loadVisible(userId, input.messageId);
      if (doc.deletedAt) throw AppError.notFound('Message not found');
      let changed: boolean;
      if (input.op === 'add') {
        const result = await store.messages.addReaction(doc, userId, input.emoji, now());
        if (result === 'not-found') throw AppError.notFound('Message not found');
        if (result === 'limit') {
          throw AppError.validation(
            {
              fields: [
                {
                  path: '/emoji',
                  message: `At most ${LIMITS.reactionsDistinctPerMessage} distinct emoji per message`,
                },
              ],
              limit: LIMITS.reactionsDistinctPerMessage,
            },
            'Too many distinct reactions on this message',
          );
        }
        changed = result === 'added';
      } else {
        changed = await store.messages.removeReaction(doc, userId, input.emoji);
      }
      const summaries = await store.messages.reactionsOf([doc._id]);
      const reactions = toReactionDtos(summaries.get(hex(doc._id)));
      if (changed) {
        fanout.toConversation(hex(doc.conversationId), 'message:reactions', {
          conversationId: hex(doc.conversationId),
          messageId: hex(doc._id),
          reactions,
        });
      }
      return { reactions };
    },
  };
}
