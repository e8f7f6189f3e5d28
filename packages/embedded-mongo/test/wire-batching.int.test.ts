import net from 'node:net';
import { deserialize, serialize } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/index.js';

/** An OP_MSG with one body section. */
function opMsg(requestId: number, body: Record<string, unknown>): Buffer {
  const bson = serialize(body);
  const head = Buffer.alloc(21);
  head.writeInt32LE(21 + bson.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(2013, 12);
  head.writeUInt32LE(0, 16);
  head.writeUInt8(0, 20);
  return Buffer.concat([head, bson]);
}

describe('several requests in one TCP segment', () => {
  let server: EmbeddedMongo;
  beforeAll(async () => {
    server = await startEmbeddedMongo();
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers each of them, in order, including a trailing partial one once complete', async () => {
    const socket = net.connect(server.port, server.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const replies: { responseTo: number; body: Record<string, unknown> }[] = [];
    let pending = Buffer.alloc(0);
    const got = (n: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${replies.length} replies`)), 5000);
        const check = (): void => {
          if (replies.length >= n) {
            clearTimeout(timer);
            socket.off('data', onData);
            resolve();
          }
        };
        const onData = (chunk: Buffer): void => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
            const len = pending.readInt32LE(0);
            replies.push({
              responseTo: pending.readInt32LE(8),
              body: deserialize(pending.subarray(21, len)),
            });
            pending = pending.subarray(len);
          }
          check();
        };
        socket.on('data', onData);
        check();
      });

    const third = opMsg(3, { ping: 1, $db: 'admin' });
    socket.write(
      Buffer.concat([
        opMsg(1, { ping: 1, $db: 'admin' }),
        opMsg(2, { insert: 'batched', documents: [{ _id: 1 }], $db: 'wire' }),
        third.subarray(0, 10),
      ]),
    );
    await got(2);
    socket.write(third.subarray(10));
    await got(3);
    socket.destroy();
    expect(replies.map((r) => r.responseTo)).toEqual([1, 2, 3]);
    expect(replies.map((r) => r.body.ok)).toEqual([1, 1, 1]);
    expect(replies[1]?.body.n).toBe(1);
  });
});
