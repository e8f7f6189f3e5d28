import { createLogger } from '@chat/core';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from './clients.js';

describe('a publish nobody awaits', () => {
  it('fails into the log, not into an unhandled rejection', async () => {
    const lines: string[] = [];
    const logger = createLogger({
      name: 'test',
      level: 'warn',
      destination: { write: (line: string) => void lines.push(line) },
    });
    // Never connects: closed at once, so every command is refused ("Connection is closed.").
    const client = createRedisClient(
      { topology: { kind: 'single', url: 'redis://127.0.0.1:1' }, adapter: 'classic' },
      { role: 'pub', name: 'guarded', logger },
    );
    client.disconnect();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      // As the classic adapter does: the promise is dropped.
      void client.publish('socket.io#/#', 'dropped');
      await expect(client.publish('socket.io#/#', 'awaited')).rejects.toThrow(/closed/);
      await expect
        .poll(() => lines.filter((l) => l.includes('redis publish failed')).length)
        .toBe(2);
      // Unhandled rejections are reported after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
