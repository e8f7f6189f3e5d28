import type { TSchema } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  AuthRenewPayload,
  ConversationDeliveredPayload,
  ConversationReadPayload,
  MessageHistoryPayload,
  MessageSendPayload,
  SyncPayload,
} from './events.js';
import { createValidator } from './validate.js';

/*
 * Bad socket payloads and the field each refusal must name, checked against the schemas
 * themselves. That every event runs its validator before any work, and keeps the socket
 * usable, is the gateway's validation.int.test.ts.
 */
const conversationId = '65a1b2c3d4e5f60718293a4b';
const clientMsgId = 'c-1';
const send = (extra: Record<string, unknown>) => ({
  conversationId,
  clientMsgId,
  text: 'x',
  ...extra,
});

const wrongTypes: Array<[string, TSchema, unknown, string]> = [
  ['send: not an id', MessageSendPayload, send({ conversationId: 'not-an-id' }), '/conversationId'],
  [
    'send: uppercase id with junk',
    MessageSendPayload,
    send({ conversationId: conversationId.toUpperCase() + 'zz' }),
    '/conversationId',
  ],
  ['send: numeric clientMsgId', MessageSendPayload, send({ clientMsgId: 17 }), '/clientMsgId'],
  ['send: empty clientMsgId', MessageSendPayload, send({ clientMsgId: '' }), '/clientMsgId'],
  [
    'send: 65-char clientMsgId',
    MessageSendPayload,
    send({ clientMsgId: 'x'.repeat(65) }),
    '/clientMsgId',
  ],
  ['send: numeric text', MessageSendPayload, send({ text: 12 }), '/text'],
  [
    'send: attachmentIds not a list',
    MessageSendPayload,
    send({ attachmentIds: 'abc' }),
    '/attachmentIds',
  ],
  ['history: limit 0', MessageHistoryPayload, { conversationId, limit: 0 }, '/limit'],
  ['history: limit 101', MessageHistoryPayload, { conversationId, limit: 101 }, '/limit'],
  ['history: string before', MessageHistoryPayload, { conversationId, before: '5' }, '/before'],
  ['history: negative after', MessageHistoryPayload, { conversationId, after: -1 }, '/after'],
  ['read: fractional seq', ConversationReadPayload, { conversationId, seq: 1.5 }, '/seq'],
  ['read: negative seq', ConversationReadPayload, { conversationId, seq: -1 }, '/seq'],
  ['delivered: string seq', ConversationDeliveredPayload, { conversationId, seq: '3' }, '/seq'],
  [
    'delivered: numeric id',
    ConversationDeliveredPayload,
    { conversationId: 123, seq: 3 },
    '/conversationId',
  ],
  ['sync: cursors not a list', SyncPayload, { cursors: 'all' }, '/cursors'],
  [
    'sync: string cursor seq',
    SyncPayload,
    { cursors: [{ conversationId, seq: 'x' }] },
    '/cursors/0/seq',
  ],
  ['sync: string limit', SyncPayload, { cursors: [], limit: 'many' }, '/limit'],
  ['renew: numeric token', AuthRenewPayload, { token: 12 }, '/token'],
  ['renew: empty token', AuthRenewPayload, { token: '' }, '/token'],
];

const operators: Array<[string, TSchema, unknown]> = [
  ['send: $ne as conversationId', MessageSendPayload, send({ conversationId: { $ne: 1 } })],
  ['send: $gt as clientMsgId', MessageSendPayload, send({ clientMsgId: { $gt: '' } })],
  ['send: $gt as replyToId', MessageSendPayload, send({ replyToId: { $gt: '' } })],
  ['history: $ne as conversationId', MessageHistoryPayload, { conversationId: { $ne: 1 } }],
  ['history: $gt as before', MessageHistoryPayload, { conversationId, before: { $gt: 0 } }],
  ['read: $ne as conversationId', ConversationReadPayload, { conversationId: { $ne: 1 }, seq: 1 }],
  ['delivered: $gt as seq', ConversationDeliveredPayload, { conversationId, seq: { $gt: 0 } }],
  ['sync: $gt in a cursor', SyncPayload, { cursors: [{ conversationId: { $gt: '' }, seq: 0 }] }],
  ['sync: $ne as cursors', SyncPayload, { cursors: { $ne: [] } }],
  ['renew: $ne as token', AuthRenewPayload, { token: { $ne: 1 } }],
];

function refusal(schema: TSchema, payload: unknown) {
  const result = createValidator(schema)(payload);
  if (result.ok) throw new Error(`accepted ${JSON.stringify(payload)}`);
  return { code: result.code, paths: result.details.fields.map((f) => f.path) };
}

describe('socket payloads refused by their schema', () => {
  it.each(wrongTypes)('%s → VALIDATION_FAILED naming the field', (_, schema, payload, path) => {
    const { code, paths } = refusal(schema, payload);
    expect(code).toBe('VALIDATION_FAILED');
    expect(paths).toContain(path);
  });

  it.each(operators)('%s → VALIDATION_FAILED naming the operator', (_, schema, payload) => {
    const { code, paths } = refusal(schema, payload);
    expect(code).toBe('VALIDATION_FAILED');
    expect(paths.some((p) => p.includes('$'))).toBe(true);
  });
});
