import { isObjectIdString } from '@chat/protocol';
import { ObjectId } from 'mongodb';

/** Position in the conversation list: ordered by (lastActivityAt desc, _id desc). */
export interface ActivityCursor {
  lastActivityAt: Date;
  id: ObjectId;
}

/** Opaque to clients: base64url of `{ t: ISO date, id: hex }`. */
export function encodeActivityCursor(cursor: ActivityCursor): string {
  const json = JSON.stringify({
    t: cursor.lastActivityAt.toISOString(),
    id: cursor.id.toHexString(),
  });
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** Returns undefined for anything that is not a cursor we issued (callers answer VALIDATION_FAILED). */
export function decodeActivityCursor(raw: string): ActivityCursor | undefined {
  if (raw.length === 0 || raw.length > 200) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object') return undefined;
    const { t, id } = parsed as Record<string, unknown>;
    if (typeof t !== 'string' || typeof id !== 'string') return undefined;
    if (!isObjectIdString(id)) return undefined;
    const date = new Date(t);
    if (Number.isNaN(date.getTime())) return undefined;
    return { lastActivityAt: date, id: new ObjectId(id) };
  } catch {
    return undefined;
  }
}
