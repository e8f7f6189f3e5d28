import { MessageHistoryPayload, MessageSendPayload } from '@chat/protocol';
import type { MessagesService } from '../../domain/messages.service.js';
import { defineHandler } from '../define-handler.js';

export function messageHandlers(messages: MessagesService) {
  return [
    defineHandler('message:send', MessageSendPayload, async (payload, { userId, socket }) => {
      const { message } = await messages.send(userId, { ...payload, originSocketId: socket.id });
      return { message };
    }),
    defineHandler('message:history', MessageHistoryPayload, (payload, { userId }) =>
      messages.history(userId, payload),
    ),
  ];
}
