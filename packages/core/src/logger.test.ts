import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

describe('createLogger', () => {
  it('writes JSON with name and level, honoring the level', () => {
    const { stream, lines } = capture();
    const log = createLogger({
      name: 'gateway',
      level: 'info',
      destination: stream,
      base: { nodeId: 'n1' },
    });
    log.debug('hidden');
    log.info({ reqId: 'r1' }, 'hello');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({
      name: 'gateway',
      level: 30,
      msg: 'hello',
      reqId: 'r1',
      nodeId: 'n1',
    });
  });

  it('redacts credentials and message text', () => {
    const { stream, lines } = capture();
    const log = createLogger({ name: 't', destination: stream });
    log.info(
      {
        password: 'hunter22',
        token: 'eyJ.a.b',
        accessToken: 'eyJ.c.d',
        text: 'private message',
        body: { password: 'p2', text: 'secret text', clientMsgId: 'c1' },
        payload: { token: 't2' },
        req: { headers: { authorization: 'Bearer eyJ', host: 'x' } },
      },
      'login',
    );
    const line = lines()[0] ?? {};
    const raw = JSON.stringify(line);
    for (const secret of ['hunter22', 'eyJ', 'private message', 'secret text', 'p2', 't2']) {
      expect(raw).not.toContain(secret);
    }
    expect(line).toMatchObject({ body: { clientMsgId: 'c1' }, req: { headers: { host: 'x' } } });
    expect(line).toMatchObject({ password: '[redacted]' });
  });
});
