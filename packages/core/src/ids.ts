import { randomBytes } from 'node:crypto';
import { isObjectIdString } from '@chat/protocol';

// Same layout as a MongoDB ObjectId: 4-byte seconds timestamp, 5 random bytes fixed per
// process, 3-byte counter starting at a random value. Unique across processes without
// coordination, and roughly time-ordered like ids the driver generates.
const processUnique = randomBytes(5);
let counter = randomBytes(3).readUIntBE(0, 3);

/** A new ObjectId as a 24-char lowercase hex string, without the mongodb package. */
export function newId(date: Date = new Date()): string {
  const buf = Buffer.alloc(12);
  buf.writeUInt32BE(Math.floor(date.getTime() / 1000) >>> 0, 0);
  processUnique.copy(buf, 4);
  counter = (counter + 1) % 0x1000000;
  buf.writeUIntBE(counter, 9, 3);
  return buf.toString('hex');
}

/** The creation time encoded in an ObjectId hex string (second precision). */
export function idTimestamp(id: string): Date {
  if (!isObjectIdString(id)) throw new TypeError('not an ObjectId hex string');
  return new Date(Number.parseInt(id.slice(0, 8), 16) * 1000);
}
