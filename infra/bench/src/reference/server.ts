/**
 * The references: what a hand-rolled tutorial chat server reaches. Plain Socket.IO with
 * @socket.io/redis-adapter, a JWT handshake (jose, HS256), rooms joined at connect from the
 * token's `rooms` claim, and either
 * - a relay that neither stores nor acknowledges anything (`reference`), or, with `--mongo`,
 * - the seed-style persisted server (`persisted`): per message it awaits `insertOne` of the
 *   message and `updateOne` of the conversation (`$set` lastMessage, `$inc` seq), then emits
 *   to the room, then acks, as the tutorials do.
 * Run as its own process: `--port N --redis URL --secret HEX --node-id ID [--mongo URL]`;
 * prints `{"ready":true,"port":N}` once listening; exits on SIGTERM/SIGINT (a process entry,
 * so it owns its signals).
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { MongoClient, ObjectId } from 'mongodb';
import { Server } from 'socket.io';
import {
  REFERENCE_AUDIENCE,
  REFERENCE_ISSUER,
  type ReferenceRelay,
  type ReferenceSend,
} from './protocol.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    redis: { type: 'string' },
    secret: { type: 'string' },
    'node-id': { type: 'string', default: 'ref' },
    mongo: { type: 'string' },
  },
  strict: true,
});
if (!values.port || !values.redis || !values.secret) {
  process.stderr.write('reference server: --port, --redis and --secret are required\n');
  process.exit(2);
}
const key = new TextEncoder().encode(values.secret);
const mongo = values.mongo ? new MongoClient(values.mongo) : undefined;
const db = mongo?.db('persisted');
const messages = db?.collection('messages');
const conversations = db?.collection<{ _id: string }>('conversations');
const pub = new Redis(values.redis, { lazyConnect: false });
// No ready check on the subscriber: a subscribe before it turns it deaf (redis/ioredis#2037).
const sub = pub.duplicate({ enableReadyCheck: false });
const http = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
});
const io = new Server(http, { adapter: createAdapter(pub, sub), serveClient: false });

interface SocketData {
  userId: string;
  rooms: string[];
}

io.use((socket, next) => {
  const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.token;
  if (typeof token !== 'string') return next(new Error('UNAUTHENTICATED'));
  jwtVerify(token, key, {
    algorithms: ['HS256'],
    issuer: REFERENCE_ISSUER,
    audience: REFERENCE_AUDIENCE,
  }).then(
    ({ payload }) => {
      const rooms = Array.isArray(payload.rooms)
        ? payload.rooms.filter((r): r is string => typeof r === 'string')
        : [];
      (socket.data as SocketData) = { userId: payload.sub ?? '', rooms };
      next();
    },
    () => next(new Error('UNAUTHENTICATED')),
  );
});

io.on('connection', (socket) => {
  const data = socket.data as SocketData;
  // Rooms are joined through the adapter (a Redis SUBSCRIBE per new room, as in ours).
  void Promise.resolve(
    socket.join([`user:${data.userId}`, ...data.rooms.map((r) => `room:${r}`)]),
  ).then(() => {
    socket.emit('session', { userId: data.userId, nodeId: values['node-id'] });
  });
  socket.on('send', (msg: ReferenceSend, ack?: (answer: { ok: boolean }) => void) => {
    // Membership is the only check a tutorial server does: relay into rooms the socket is in.
    const room = `room:${String(msg.room)}`;
    if (!socket.rooms.has(room)) return;
    const relay: ReferenceRelay = {
      room: msg.room,
      senderId: data.userId,
      text: String(msg.text),
      at: Date.now(),
    };
    if (!messages || !conversations) {
      socket.to(room).emit('message', relay);
      return;
    }
    const stored = { _id: new ObjectId(), ...relay, createdAt: new Date(relay.at) };
    void (async () => {
      try {
        await messages.insertOne(stored);
        await conversations.updateOne(
          { _id: relay.room },
          { $set: { lastMessage: stored }, $inc: { seq: 1 } },
          { upsert: true },
        );
        socket.to(room).emit('message', relay);
        ack?.({ ok: true });
      } catch {
        ack?.({ ok: false });
      }
    })();
  });
});

await mongo?.connect();
http.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: Number(values.port) })}\n`);
});

const stop = (): void => {
  void io.close();
  void mongo?.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
