import type { SendRequest } from '../src/send-state.js';

/** A send of alice into c1 (defaults), with its hand-off entry; the tests override fields. */
export function request(over: Partial<SendRequest> & { clientMsgId: string }): SendRequest {
  const base = {
    conversationId: 'c1',
    senderId: 'alice',
    messageId: `id-${over.clientMsgId}`,
    version: '',
  };
  const merged = { ...base, ...over };
  return {
    ...merged,
    handoff: {
      conversationId: merged.conversationId,
      messageId: merged.messageId,
      senderId: merged.senderId,
      version: merged.version,
      preview: 'hi',
    },
  };
}
