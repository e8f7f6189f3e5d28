import { deserialize, serialize, Long } from 'bson';
import type { Doc } from './bson-values.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;

const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;

/** A decoded client request: the command document with kind-1 sequences merged in as arrays. */
export interface WireRequest {
  opCode: typeof OP_MSG | typeof OP_QUERY;
  requestId: number;
  command: Doc;
  /** OP_MSG moreToCome: the client expects no reply (w:0 writes). */
  noReply: boolean;
  /** OP_QUERY full collection name, e.g. "admin.$cmd". */
  fullCollectionName?: string;
}

export class WireError extends Error {}

const readCString = (buf: Buffer, start: number): [string, number] => {
  const end = buf.indexOf(0, start);
  if (end < 0) throw new WireError('unterminated cstring');
  return [buf.toString('utf8', start, end), end + 1];
};

const bsonAt = (buf: Buffer, offset: number): [Doc, number] => {
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > buf.length) throw new WireError('invalid BSON size');
  return [deserialize(buf.subarray(offset, offset + size)), offset + size];
};

/** Decodes one complete message (header included). Throws WireError on malformed or unsupported input. */
export function decodeMessage(msg: Buffer): WireRequest {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) {
    const flags = msg.readUInt32LE(16);
    const end = flags & CHECKSUM_PRESENT ? msg.length - 4 : msg.length;
    let offset = 20;
    let command: Doc | undefined;
    const sequences: [string, Doc[]][] = [];
    while (offset < end) {
      const kind = msg.readUInt8(offset);
      offset += 1;
      if (kind === 0) {
        [command, offset] = bsonAt(msg, offset);
      } else if (kind === 1) {
        const sectionEnd = offset + msg.readInt32LE(offset);
        let id: string;
        [id, offset] = readCString(msg, offset + 4);
        const docs: Doc[] = [];
        while (offset < sectionEnd) {
          let d: Doc;
          [d, offset] = bsonAt(msg, offset);
          docs.push(d);
        }
        sequences.push([id, docs]);
      } else throw new WireError(`unknown OP_MSG section kind ${kind}`);
    }
    if (!command) throw new WireError('OP_MSG without body section');
    for (const [id, docs] of sequences) command[id] = docs;
    return { opCode, requestId, command, noReply: (flags & MORE_TO_COME) !== 0 };
  }
  if (opCode === OP_QUERY) {
    const [fullCollectionName, afterName] = readCString(msg, 20);
    const [query] = bsonAt(msg, afterName + 8);
    // Legacy drivers may wrap the command as { $query: {...}, $readPreference }.
    const inner = query.$query;
    const command =
      inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Doc) : query;
    return { opCode, requestId, command, noReply: false, fullCollectionName };
  }
  throw new WireError(`unsupported opCode ${opCode}`);
}

let nextResponseId = 1;

const header = (length: number, responseTo: number, opCode: number): Buffer => {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(nextResponseId++ & 0x7fffffff, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
};

const SERIALIZE_OPTIONS = { ignoreUndefined: true } as const;

/** OP_MSG reply with a single kind-0 section. */
export function encodeMsgReply(responseTo: number, body: Doc): Buffer {
  const bson = serialize(body, SERIALIZE_OPTIONS);
  const prefix = Buffer.alloc(5); // flagBits (0) + section kind 0
  return Buffer.concat([header(16 + 5 + bson.length, responseTo, OP_MSG), prefix, bson]);
}

/** OP_REPLY for the legacy OP_QUERY handshake. */
export function encodeOpReply(responseTo: number, body: Doc): Buffer {
  const bson = serialize(body, SERIALIZE_OPTIONS);
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(0, 0); // responseFlags
  fixed.writeBigInt64LE(Long.ZERO.toBigInt(), 4); // cursorID
  fixed.writeInt32LE(0, 12); // startingFrom
  fixed.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(16 + 20 + bson.length, responseTo, OP_REPLY), fixed, bson]);
}
