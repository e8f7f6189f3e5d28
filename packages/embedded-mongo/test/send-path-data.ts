import { ObjectId, type Document } from 'bson';

/** The store's indexes on the send path's collections (packages/store/src/ensure-indexes.ts). */
export const SEND_PATH_INDEXES: Record<'conversations' | 'memberships' | 'messages', Document[]> = {
  conversations: [
    {
      name: 'directKey_unique',
      key: { directKey: 1 },
      unique: true,
      partialFilterExpression: { type: 'direct' },
    },
    { name: 'lastActivity', key: { lastActivityAt: -1, _id: -1 } },
  ],
  memberships: [
    { name: 'conversation_user_unique', key: { conversationId: 1, userId: 1 }, unique: true },
    { name: 'user_conversation', key: { userId: 1, conversationId: 1 } },
  ],
  messages: [
    { name: 'conversation_seq_unique', key: { conversationId: 1, seq: 1 }, unique: true },
    {
      name: 'sender_clientMsgId_unique',
      key: { senderId: 1, clientMsgId: 1 },
      unique: true,
      partialFilterExpression: { clientMsgId: { $type: 'string' } },
    },
  ],
};

export interface Conv {
  id: ObjectId;
  members: [ObjectId, ObjectId];
  seq: number;
}

export interface Sent {
  senderId: ObjectId;
  clientMsgId: string;
}

const TEXT = 'x'.repeat(200);

/**
 * The data both send-path benchmarks replay: direct conversations between neighbouring users,
 * two memberships each, and messages shaped as the store writes them.
 */
export function createSendPathData(userCount: number, conversationCount: number) {
  const users = Array.from({ length: userCount }, () => new ObjectId());
  const convs: Conv[] = Array.from({ length: conversationCount }, (_, i) => ({
    id: new ObjectId(),
    members: [users[i % userCount] as ObjectId, users[(i + 1) % userCount] as ObjectId],
    seq: 0,
  }));
  const t0 = new Date();
  const sent: Sent[] = [];
  let msgCounter = 0;
  return {
    convs,
    sent,
    /** Spreads consecutive operations over the conversations. */
    convAt: (i: number): Conv => convs[(i * 7919) % convs.length] as Conv,
    conversationDocs: (): Document[] =>
      convs.map((c) => ({
        _id: c.id,
        type: 'direct',
        directKey: c.members.map((m) => m.toHexString()).join(':'),
        createdBy: c.members[0],
        createdAt: t0,
        updatedAt: t0,
        lastActivityAt: t0,
        seq: 0,
      })),
    membershipDocs: (): Document[] =>
      convs.flatMap((c) =>
        c.members.map((userId) => ({
          _id: new ObjectId(),
          conversationId: c.id,
          userId,
          role: 'member',
          joinedAt: t0,
          readSeq: 0,
          deliveredSeq: 0,
        })),
      ),
    /** A message of a conversation at its next seq (allocated here, as allocateSeq would). */
    newMessage(c: Conv): Document {
      const i = msgCounter++;
      const senderId = c.members[i % 2] as ObjectId;
      const clientMsgId = `cm-${i.toString(36)}-${senderId.toHexString().slice(-6)}`;
      sent.push({ senderId, clientMsgId });
      c.seq++;
      return {
        _id: new ObjectId(),
        conversationId: c.id,
        seq: c.seq,
        senderId,
        clientMsgId,
        kind: 'text',
        text: `message ${i} ${TEXT}`.slice(0, 100),
        attachmentIds: [],
        createdAt: new Date(),
      };
    },
    preview: (c: Conv, i: number): Document => ({
      id: new ObjectId(),
      senderId: c.members[i % 2],
      text: `preview ${i} ${TEXT}`.slice(0, 200),
      kind: 'text',
      createdAt: new Date(),
    }),
  };
}
