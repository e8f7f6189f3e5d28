import { MessageDeletePayload, MessageEditPayload, MessageReactPayload } from '@chat/protocol';
import type { MessageLifecycleService } from '../../domain/message-lifecycle.service.js';
import { defineHandler } from '../define-handler.js';

/** message:edit, message:delete, message:react (docs/PROTOCOL.md#section-3). */
export function lifecycleHandlers(lifecycle: MessageLifecycleService) {
  return [
    defineHandler('message:edit', MessageEditPayload, (payload, { userId }) =>
      lifecycle.edit(userId, payload),
    ),
    defineHandler('message:delete', MessageDeletePayload, (payload, { userId }) =>
      lifecycle.delete(userId, payload),
    ),
    defineHandler('message:react', MessageReactPayload, (payload, { userId }) =>
      lifecycle.react(userId, payload),
    ),
  ];
}
