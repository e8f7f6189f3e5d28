import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { createValidator } from './validate.js';
import {
  ConversationReadPayload,
  FileUploadPayload,
  MessageEditPayload,
  MessageSendPayload,
  PresenceQueryPayload,
  SyncPayload,
} from './events.js';
import {
  NotificationsReadBody,
  PatchConversationBody,
  PostMessageBody,
  RegisterBody,
} from './http.js';
import { LIMITS } from './limits.js';

const convId = '65a1b2c3d4e5f60718293a4b';
const msgId = '65a1b2c3d4e5f60718293a4c';

const send = createValidator(MessageSendPayload);

function paths(result: ReturnType<typeof send>): string[] {
  return result.ok ? [] : result.details.fields.map((f) => f.path);
}

describe('createValidator', () => {
  it('accepts a valid message:send payload and returns it', () => {
    const payload = {
      conversationId: convId,
      clientMsgId: 'c-1',
      text: 'hello',
      attachmentIds: [msgId],
    };
    const result = send(payload);
    expect(result).toEqual({ ok: true, value: payload });
  });

  it.each([null, undefined, 42, 'text', true, [], [{ conversationId: convId }], Buffer.from('x')])(
    'rejects non-object payload %#',
    (value) => {
      const result = send(value);
      expect(result.ok).toBe(false);
      expect(paths(result)).toEqual(['/']);
    },
  );

  it('rejects Mongo operator objects in place of ids', () => {
    const result = send({ conversationId: { $ne: null }, clientMsgId: 'c-1', text: 'x' });
    expect(result.ok).toBe(false);
    expect(paths(result)).toContain('/conversationId/$ne');
  });

  it('rejects $-prefixed keys at any depth, even where the schema allows any record', () => {
    const v = createValidator(Type.Object({ data: Type.Record(Type.String(), Type.Unknown()) }));
    expect(v({ data: { nested: [{ $where: 'sleep(1000)' }] } }).ok).toBe(false);
    expect(v({ data: { nested: [{ where: 1 }] } }).ok).toBe(true);
  });

  it('rejects prototype-pollution keys given as own properties', () => {
    const parsed: unknown = JSON.parse(
      `{"conversationId":"${convId}","clientMsgId":"a","text":"x","__proto__":{"admin":true}}`,
    );
    const result = send(parsed);
    expect(result.ok).toBe(false);
    expect(paths(result)).toEqual(['/__proto__']);
    const v = createValidator(Type.Object({ data: Type.Record(Type.String(), Type.Unknown()) }));
    expect(v({ data: { constructor: { prototype: {} } } }).ok).toBe(false);
  });

  it('rejects wrong types and names each field', () => {
    const result = send({ conversationId: 12, clientMsgId: ['a'], text: 5 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('VALIDATION_FAILED');
    expect(new Set(paths(result))).toEqual(new Set(['/conversationId', '/clientMsgId', '/text']));
  });

  it('rejects invalid object ids', () => {
    for (const id of [
      '65A1B2C3D4E5F60718293A4B',
      '65a1b2c3d4e5f60718293a4',
      'zza1b2c3d4e5f60718293a4b',
      '',
    ]) {
      expect(send({ conversationId: id, clientMsgId: 'a', text: 'x' }).ok).toBe(false);
    }
  });

  it('rejects unknown fields', () => {
    const result = send({ conversationId: convId, clientMsgId: 'a', text: 'x', isAdmin: true });
    expect(paths(result)).toEqual(['/isAdmin']);
  });

  it('drops senderId/userId from message payloads instead of rejecting, without mutating the input', () => {
    const input = {
      conversationId: convId,
      clientMsgId: 'a',
      text: 'x',
      senderId: msgId,
      userId: { $ne: 1 },
    };
    // An operator object is still rejected even in an ignored key: nothing with `$` passes.
    expect(send(input).ok).toBe(false);
    const benign = {
      conversationId: convId,
      clientMsgId: 'a',
      text: 'x',
      senderId: msgId,
      userId: 'me',
    };
    const result = send(benign);
    expect(result).toEqual({
      ok: true,
      value: { conversationId: convId, clientMsgId: 'a', text: 'x' },
    });
    expect(benign.senderId).toBe(msgId);
    expect(createValidator(PostMessageBody)({ clientMsgId: 'a', senderId: msgId }).ok).toBe(true);
    expect(
      createValidator(MessageEditPayload)({ messageId: msgId, text: 'y', userId: msgId }).ok,
    ).toBe(true);
  });

  it('does not drop userId where it is not a message payload', () => {
    const v = createValidator(ConversationReadPayload);
    expect(v({ conversationId: convId, seq: 1, userId: msgId }).ok).toBe(false);
  });

  it('reports over-long text as PAYLOAD_TOO_LARGE', () => {
    const ok = send({
      conversationId: convId,
      clientMsgId: 'a',
      text: 'x'.repeat(LIMITS.textMaxChars),
    });
    expect(ok.ok).toBe(true);
    const result = send({
      conversationId: convId,
      clientMsgId: 'a',
      text: 'x'.repeat(LIMITS.textMaxChars + 1),
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('PAYLOAD_TOO_LARGE');
    expect(paths(result)).toEqual(['/text']);
  });

  it('keeps other maxLength violations as VALIDATION_FAILED', () => {
    const result = send({ conversationId: convId, clientMsgId: 'a'.repeat(65), text: 'x' });
    expect(result.ok ? undefined : result.code).toBe('VALIDATION_FAILED');
    const tooMany = send({
      conversationId: convId,
      clientMsgId: 'a',
      attachmentIds: Array.from(
        { length: 11 },
        (_, i) => `${'0'.repeat(22)}${String(i).padStart(2, '0')}`,
      ),
    });
    expect(tooMany.ok ? undefined : tooMany.code).toBe('VALIDATION_FAILED');
  });

  it('reports oversize upload data as PAYLOAD_TOO_LARGE and accepts Buffers', () => {
    const v = createValidator(FileUploadPayload);
    expect(v({ name: 'a.png', data: Buffer.alloc(10) }).ok).toBe(true);
    const big = v({ name: 'a.png', data: Buffer.alloc(LIMITS.socketFrameMaxBytes + 1) });
    expect(big.ok ? undefined : big.code).toBe('PAYLOAD_TOO_LARGE');
    expect(v({ name: 'a.png', data: 'aGVsbG8=' }).ok).toBe(false);
  });

  it('requires integer, non-negative seq', () => {
    const v = createValidator(ConversationReadPayload);
    expect(v({ conversationId: convId, seq: 0 }).ok).toBe(true);
    for (const seq of [-1, 1.5, '3', Number.NaN, Infinity, null]) {
      expect(v({ conversationId: convId, seq }).ok).toBe(false);
    }
  });

  it('caps presence:query at 200 ids and sync limit at 100', () => {
    const ids = (n: number) => Array.from({ length: n }, () => convId);
    const pq = createValidator(PresenceQueryPayload);
    expect(pq({ userIds: ids(200) }).ok).toBe(true);
    expect(pq({ userIds: ids(201) }).ok).toBe(false);
    const sync = createValidator(SyncPayload);
    expect(sync({ cursors: [{ conversationId: convId, seq: 3 }], limit: 100 }).ok).toBe(true);
    expect(sync({ cursors: [], limit: 101 }).ok).toBe(false);
    expect(sync({ cursors: [{ conversationId: convId, seq: 3, extra: 1 }] }).ok).toBe(false);
  });

  it('validates HTTP bodies: register, notifications read, patch conversation', () => {
    const reg = createValidator(RegisterBody);
    expect(reg({ username: 'alice_1', password: 'secret123' }).ok).toBe(true);
    expect(reg({ username: 'al', password: 'secret123' }).ok).toBe(false);
    expect(reg({ username: 'al ice', password: 'secret123' }).ok).toBe(false);
    expect(reg({ username: 'alice', password: 'short' }).ok).toBe(false);

    const read = createValidator(NotificationsReadBody);
    expect(read({ ids: [msgId] }).ok).toBe(true);
    expect(read({ all: true }).ok).toBe(true);
    expect(read({ all: false }).ok).toBe(false);
    expect(read({ ids: [msgId], all: true }).ok).toBe(false);
    expect(read({}).ok).toBe(false);

    const patch = createValidator(PatchConversationBody);
    expect(patch({ title: 'Team' }).ok).toBe(true);
    expect(patch({}).ok).toBe(false);
    expect(patch({ avatarUrl: 'javascript:alert(1)' }).ok).toBe(false);
  });

  it('exposes the schema it was compiled from', () => {
    expect(send.schema).toBe(MessageSendPayload);
  });
});
