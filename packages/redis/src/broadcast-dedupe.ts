import { MessageType, type Adapter, type ClusterMessage } from 'socket.io-adapter';

/**
 * Drops a repeated `message:new` broadcast on the receiving node.
 *
 * ioredis resends a command whose reply was lost with its connection (a Redis Cluster master
 * killed mid-SPUBLISH, the command retried on the promoted replica): subscribers can get one
 * broadcast twice. Every other event either carries state that is the same the second time or
 * is transient; a new message shown twice is a bug a user sees. The app never broadcasts a
 * `message:new` twice to the same rooms (a resend is answered without a fan-out), so a repeat
 * of (message id, rooms, exceptions) is always the transport's.
 */
export function createBroadcastDedupe(
  capacity = 4096,
): (packet: unknown, opts: BroadcastOpts) => boolean {
  const seen = new Set<string>();
  return (packet, opts) => {
    const id = newMessageId(packet);
    if (id === undefined) return false;
    const rooms = [...(opts.rooms ?? [])].sort().join(',');
    const except = [...(opts.except ?? [])].sort().join(',');
    const key = `${id}|${rooms}|${except}`;
    if (seen.has(key)) return true;
    seen.add(key);
    // A Set iterates in insertion order: its first entry is the oldest.
    if (seen.size > capacity) seen.delete(seen.values().next().value as string);
    return false;
  };
}

function newMessageId(packet: unknown): string | undefined {
  const data = (packet as { data?: unknown } | undefined)?.data;
  if (!Array.isArray(data) || data[0] !== 'message:new') return undefined;
  const id = (data[1] as { message?: { id?: unknown } } | undefined)?.message?.id;
  return typeof id === 'string' ? id : undefined;
}

type Receive = (message: ClusterMessage, offset?: string) => void;
interface Parser {
  encode(message: unknown): unknown;
  decode(message: unknown): unknown;
}

/**
 * The classic adapter: its listener is bound at construction, but it decodes every message
 * through its instance's `parser`. A repeated broadcast decodes with no packet, which the
 * adapter ignores ("different namespace").
 */
export function dedupeClassicNewMessages(
  adapter: Adapter,
  dedupe = createBroadcastDedupe(),
): Adapter {
  const holder = adapter as unknown as { parser: Parser };
  const parser = holder.parser;
  holder.parser = {
    encode: (message) => parser.encode(message),
    decode(message) {
      const decoded = parser.decode(message);
      // A broadcast is [uid, packet, opts]; requests and responses are objects.
      if (!Array.isArray(decoded) || decoded.length !== 3) return decoded;
      const [uid, packet, opts] = decoded as [unknown, unknown, BroadcastOpts | undefined];
      return opts && dedupe(packet, opts) ? [uid, undefined, opts] : decoded;
    },
  };
  return adapter;
}

type BroadcastOpts = { rooms: string[]; except: string[] };

/** Puts the dedupe in front of a cluster adapter's receive path (`onMessage`). */
export function dedupeNewMessages(adapter: Adapter, dedupe = createBroadcastDedupe()): Adapter {
  // `onMessage` is protected in the typings; it is the one hook every received message takes.
  const receiving = adapter as unknown as { onMessage: Receive };
  const receive = receiving.onMessage.bind(adapter);
  receiving.onMessage = (message, offset) => {
    const repeated =
      message.type === MessageType.BROADCAST &&
      message.data.requestId === undefined &&
      dedupe(message.data.packet, message.data.opts);
    if (!repeated) receive(message, offset);
  };
  return adapter;
}
