import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import {
  previewKindOf,
  toConversationDto,
  toMessageDto,
  toNotificationDto,
  toUserDto,
} from '../src/dto.js';
import type { ConversationDoc, MembershipDoc, MessageDoc, UserDoc } from '../src/types.js';

const at = new Date('2026-01-05T12:00:00.000Z');

function user(name: string): UserDoc {
  return {
    _id: new ObjectId(),
    username: name,
    usernameLower: name,
    displayName: name.toUpperCase(),
    displayNameLower: name,
    createdAt: at,
    passwordHash: 'secret',
  };
}

describe('toUserDto', () => {
  it('exposes only public fields', () => {
    const u = user('alice');
    expect(toUserDto(u)).toEqual({
      id: u._id.toHexString(),
      username: 'alice',
      displayName: 'ALICE',
      createdAt: '2026-01-05T12:00:00.000Z',
    });
    expect(JSON.stringify(toUserDto(u))).not.toContain('secret');
  });
});

describe('toMessageDto', () => {
  const base: MessageDoc = {
    _id: new ObjectId(),
    conversationId: new ObjectId(),
    seq: 7,
    senderId: new ObjectId(),
    clientMsgId: 'c-1',
    kind: 'text',
    text: 'hello',
    attachmentIds: [new ObjectId()],
    createdAt: at,
    hiddenFor: [new ObjectId()],
    reactionEmojis: ['👍'],
    edits: [{ text: 'helo', at }],
  };

  it('maps ids/dates and resolves reactions and attachments', () => {
    const liker = new ObjectId();
    const dto = toMessageDto(base, {
      reactionsOf: new Map([
        [base._id.toHexString(), [{ emoji: '👍', count: 1, userIds: [liker] }]],
      ]),
      attachmentsOf: (ids) =>
        ids.map((id) => ({
          id: id.toHexString(),
          name: 'a.png',
          size: 1,
          mime: 'image/png',
          kind: 'image' as const,
          url: '/files/x',
        })),
    });
    expect(dto).toEqual({
      id: base._id.toHexString(),
      conversationId: base.conversationId.toHexString(),
      seq: 7,
      senderId: base.senderId.toHexString(),
      kind: 'text',
      clientMsgId: 'c-1',
      text: 'hello',
      attachments: [
        {
          id: base.attachmentIds[0]?.toHexString(),
          name: 'a.png',
          size: 1,
          mime: 'image/png',
          kind: 'image',
          url: '/files/x',
        },
      ],
      reactions: [{ emoji: '👍', count: 1, userIds: [liker.toHexString()] }],
      createdAt: '2026-01-05T12:00:00.000Z',
    });
    expect(dto).not.toHaveProperty('hiddenFor');
    expect(dto).not.toHaveProperty('edits');
  });

  it('renders a tombstone without content', () => {
    const dto = toMessageDto(
      { ...base, deletedAt: at, editedAt: at },
      {
        attachmentsOf: () => {
          throw new Error('must not resolve');
        },
      },
    );
    expect(dto.deleted).toBe(true);
    expect(dto.text).toBeUndefined();
    expect(dto.attachments).toEqual([]);
    expect(dto.reactions).toEqual([]);
    expect(dto.editedAt).toBe('2026-01-05T12:00:00.000Z');
  });
});

describe('toConversationDto', () => {
  it('computes readSeq/unreadCount for the viewer and maps members', () => {
    const a = user('alice');
    const conv: ConversationDoc = {
      _id: new ObjectId(),
      type: 'group',
      title: 'T',
      createdBy: a._id,
      createdAt: at,
      updatedAt: at,
      lastActivityAt: at,
      seq: 10,
      lastMessage: {
        id: new ObjectId(),
        seq: 10,
        senderId: a._id,
        text: 'hi',
        kind: 'text',
        createdAt: at,
      },
    };
    const m: MembershipDoc = {
      _id: new ObjectId(),
      conversationId: conv._id,
      userId: a._id,
      role: 'owner',
      joinedAt: at,
      readSeq: 4,
      deliveredSeq: 6,
    };
    const dto = toConversationDto({
      conversation: conv,
      members: [m],
      usersById: new Map([[a._id.toHexString(), a]]),
      viewer: m,
    });
    expect(dto.seq).toBe(10);
    expect(dto.readSeq).toBe(4);
    expect(dto.unreadCount).toBe(6);
    expect(dto.lastMessage).toEqual({
      id: conv.lastMessage?.id.toHexString(),
      seq: 10,
      senderId: a._id.toHexString(),
      text: 'hi',
      kind: 'text',
      createdAt: '2026-01-05T12:00:00.000Z',
    });
    expect(dto.members).toEqual([
      {
        userId: a._id.toHexString(),
        role: 'owner',
        joinedAt: '2026-01-05T12:00:00.000Z',
        user: { id: a._id.toHexString(), username: 'alice', displayName: 'ALICE' },
        // Every member's cursors (docs/PROTOCOL.md#section-7).
        readSeq: 4,
        deliveredSeq: 6,
      },
    ]);
  });

  it('never reports a negative unread count', () => {
    const conv: ConversationDoc = {
      _id: new ObjectId(),
      type: 'direct',
      createdBy: new ObjectId(),
      createdAt: at,
      updatedAt: at,
      lastActivityAt: at,
      seq: 3,
    };
    const viewer: MembershipDoc = {
      _id: new ObjectId(),
      conversationId: conv._id,
      userId: new ObjectId(),
      role: 'member',
      joinedAt: at,
      readSeq: 9,
      deliveredSeq: 9,
    };
    const dto = toConversationDto({
      conversation: conv,
      members: [],
      usersById: new Map(),
      viewer,
    });
    expect(dto.unreadCount).toBe(0);
    expect(dto.readSeq).toBe(3);
    expect(dto).not.toHaveProperty('lastMessage');
    expect(dto).not.toHaveProperty('title');
  });
});

describe('small mappers', () => {
  it('previewKindOf', () => {
    expect(previewKindOf('hi', ['image'])).toBe('text');
    expect(previewKindOf(undefined, ['video', 'image'])).toBe('video');
    expect(previewKindOf('', [])).toBe('file');
  });
  it('toNotificationDto', () => {
    const id = new ObjectId();
    expect(
      toNotificationDto({
        _id: id,
        userId: new ObjectId(),
        type: 't',
        title: 'x',
        read: false,
        createdAt: at,
        data: { a: 1 },
      }),
    ).toEqual({
      id: id.toHexString(),
      type: 't',
      title: 'x',
      read: false,
      createdAt: '2026-01-05T12:00:00.000Z',
      data: { a: 1 },
    });
  });
});
