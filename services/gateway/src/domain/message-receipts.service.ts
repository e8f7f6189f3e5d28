import { AppError } from '@chat/core';
import type { MessageReceiptsResponse, ReceiptEntry } from '@chat/protocol';
import type { MembershipDoc, MongoStore } from '@chat/store';
import { requireMember } from './conversation-views.js';
import { hex, oid } from './ids.js';

export type MessageReceiptsService = ReturnType<typeof createMessageReceiptsService>;

/**
 * "Read by" of docs/PROTOCOL.md#section-7, derived from the members' cursors (docs/DESIGN.md#decision-4): no
 * per-message receipt documents. A cursor keeps only the time of its last move, so `at` is
 * that time: exact for the newest message a member read, "no later than" for older ones.
 * Members who joined after the message was sent are left out: their cursors start at the
 * conversation's seq without them having seen anything (PROTOCOL-NOTES, new group members).
 * Cost: the message, the caller's membership and the conversation, and one members query.
 */
export function createMessageReceiptsService({ store }: { store: MongoStore }) {
  return {
    async receipts(
      viewerHex: string,
      conversationHex: string,
      messageHex: string,
    ): Promise<MessageReceiptsResponse> {
      const viewerId = oid(viewerHex);
      const [view, doc] = await Promise.all([
        requireMember(store, oid(conversationHex), viewerId),
        store.messages.findById(oid(messageHex, 'messageId')),
      ]);
      const visible =
        doc !== null &&
        doc.conversationId.equals(view.conversation._id) &&
        !(doc.hiddenFor ?? []).some((id) => id.equals(viewerId)) &&
        doc.seq > (view.membership.hiddenBefore ?? 0);
      if (!visible) throw AppError.notFound('Message not found');
      const members = await store.memberships.listMembers(view.conversation._id);
      const others = members.filter(
        (m) => !m.userId.equals(doc.senderId) && m.joinedAt.getTime() <= doc.createdAt.getTime(),
      );
      const entry = (m: MembershipDoc, at: Date | undefined): ReceiptEntry => ({
        userId: hex(m.userId),
        at: (at ?? m.joinedAt).toISOString(),
      });
      const byTime = (a: ReceiptEntry, b: ReceiptEntry) => a.at.localeCompare(b.at);
      return {
        readBy: others
          .filter((m) => m.readSeq >= doc.seq)
          .map((m) => entry(m, m.readAt))
          .sort(byTime),
        // Reading implies having received; a reader without a delivered move shows its read time.
        deliveredTo: others
          .filter((m) => Math.max(m.deliveredSeq, m.readSeq) >= doc.seq)
          .map((m) => entry(m, m.deliveredSeq >= doc.seq ? (m.deliveredAt ?? m.readAt) : m.readAt))
          .sort(byTime),
      };
    },
  };
}
