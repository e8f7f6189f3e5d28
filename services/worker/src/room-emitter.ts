import { ADAPTER_CHANNEL, type ServerToClientEvents } from '@chat/protocol';
import {
  answerMembershipRequests,
  createAdapterFactory,
  type AdapterKind,
  type RedisClient,
} from '@chat/redis';
import { Emitter } from '@socket.io/redis-emitter';
import { Server } from 'socket.io';
import type { RoomEmitter } from './processors/presence-sweep.processor.js';

export interface WorkerRoomEmitter {
  emitter: RoomEmitter;
  close(): Promise<void>;
}

/**
 * How the worker reaches sockets on the gateways, with the adapter kind the gateways run.
 * - classic: @socket.io/redis-emitter, a publisher only (it subscribes to nothing).
 * - sharded: the emitter speaks only classic PUBLISH (5.1 has no sharded mode), so the worker
 *   runs a Socket.IO server without HTTP and without sockets whose sharded adapter
 *   SPUBLISHes like a gateway's. It needs a subscriber (the adapter's requests channel).
 */
export function createRoomEmitter(
  kind: AdapterKind,
  pub: RedisClient,
  sub: () => RedisClient,
): WorkerRoomEmitter {
  if (kind === 'classic') {
    const emitter = new Emitter<ServerToClientEvents>(pub, { key: ADAPTER_CHANNEL });
    return {
      emitter: { to: (rooms) => emitter.to(rooms) },
      close: async () => undefined,
    };
  }
  const subscriber = sub();
  const io = new Server<Record<string, never>, ServerToClientEvents>({
    adapter: createAdapterFactory('sharded', pub, subscriber),
    serveClient: false,
  });
  // Its adapter is one of the cluster's nodes: a gateway's membership change waits for every
  // node's answer, and this one has no sockets to move.
  answerMembershipRequests(io);
  return {
    emitter: { to: (rooms) => io.to(rooms) },
    async close() {
      // Not io.close(): without an HTTP server there is no engine to close.
      await Promise.resolve(io.of('/').adapter.close()).catch(() => undefined);
      await subscriber.quit().catch(() => undefined);
    },
  };
}
