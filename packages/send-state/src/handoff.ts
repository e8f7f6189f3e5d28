/**
 * The offline hand-off: every send appends one entry to a Redis stream inside its send script
 * (no round trip of its own; on one Redis not for a direct message whose recipient is online), and the worker finds the members without a live connection and
 * queues their webhooks. The entry is written before the message is stored, so the worker
 * delivers only messages it finds in MongoDB (services/worker message-handoff).
 */
export interface HandoffEntry {
  conversationId: string;
  messageId: string;
  senderId: string;
  /** The one other member of a direct conversation; absent for groups (the worker looks them up). */
  recipientId?: string;
  /** The membership version the sender's node checked against; the worker caches members by it. */
  version: string;
  /** One line for the webhook (jobs' toPreview has already cut it). */
  preview: string;
}

/** An entry as read back, with its stream id (milliseconds-sequence: the time it was added). */
export interface HandoffRecord extends HandoffEntry {
  id: string;
  /** When the entry was added, from its stream id. */
  addedAt: number;
}

const FIELDS = {
  conversationId: 'c',
  messageId: 'm',
  senderId: 's',
  recipientId: 'r',
  version: 'v',
  preview: 'p',
} as const satisfies Record<keyof HandoffEntry, string>;

/** Flat `[field, value, ...]` as XADD takes it. */
export function encodeHandoff(entry: HandoffEntry): string[] {
  const out: string[] = [];
  for (const [name, field] of Object.entries(FIELDS) as [keyof HandoffEntry, string][]) {
    const value = entry[name];
    if (value !== undefined) out.push(field, value);
  }
  return out;
}

/** Undefined for an entry that lacks a required field (written by a newer or broken node). */
export function decodeHandoff(id: string, flat: readonly string[]): HandoffRecord | undefined {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) values.set(flat[i] as string, flat[i + 1] as string);
  const conversationId = values.get(FIELDS.conversationId);
  const messageId = values.get(FIELDS.messageId);
  const senderId = values.get(FIELDS.senderId);
  const version = values.get(FIELDS.version);
  if (!conversationId || !messageId || !senderId || version === undefined) return undefined;
  const recipientId = values.get(FIELDS.recipientId);
  return {
    id,
    addedAt: Number(id.split('-')[0]),
    conversationId,
    messageId,
    senderId,
    version,
    preview: values.get(FIELDS.preview) ?? '',
    ...(recipientId !== undefined ? { recipientId } : {}),
  };
}
