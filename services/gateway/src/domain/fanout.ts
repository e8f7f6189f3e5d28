import type { ServerToClientEvents } from '@chat/protocol';

export type ServerEvent = keyof ServerToClientEvents;
export type ServerPayload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

/**
 * How domain services reach connected clients anywhere in the cluster. The Socket.IO
 * implementation lives in realtime/; services stay free of socket.io imports (STYLE.md).
 */
export interface Fanout {
  /**
   * `exceptSocket`: that one socket gets nothing (a sender has its message in its ack).
   * `direct`: a direct conversation's members and the sender, so the implementation may reach
   * them through their user rooms instead (the sharded adapter then wakes only their nodes);
   * `senderDevices`, the sender's live devices in the cluster when the send already counted
   * them (else the implementation asks presence).
   */
  toConversation<E extends ServerEvent>(
    conversationId: string,
    event: E,
    payload: ServerPayload<E>,
    options?: {
      exceptSocket?: string;
      direct?: { memberIds: readonly string[]; senderId: string; senderDevices?: number };
    },
  ): void;
  toUsers<E extends ServerEvent>(
    userIds: readonly string[],
    event: E,
    payload: ServerPayload<E>,
  ): void;
  /**
   * One emit to several conversations: a socket in more than one of them still gets it
   * once. `exceptUsers`' sockets get nothing (e.g. the typing user's own devices).
   */
  toConversations<E extends ServerEvent>(
    conversationIds: readonly string[],
    event: E,
    payload: ServerPayload<E>,
    options?: { exceptUsers?: readonly string[] },
  ): void;
  /** Every socket of these users, on every node, starts receiving the conversation's events. */
  joinConversation(userIds: readonly string[], conversationId: string): Promise<void>;
  /** …and stops receiving them, at once, on every node. */
  leaveConversation(userIds: readonly string[], conversationId: string): Promise<void>;
  /** Closes every socket of these sign-in sessions, on every node (revoked devices). */
  disconnectSessions(sessionIds: readonly string[]): void;
}
