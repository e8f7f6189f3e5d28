import type { Message, ReceiptEvent } from '@chat/protocol';
import { waitFor, waitForEvent } from '@chat/testkit';
import { describe, expect, it } from 'vitest';
import { sendText, useTestCluster } from './fixtures/cluster.js';
import { useExampleBot } from './fixtures/example-bot.js';

interface ReactionsEvent {
  messageId: string;
  reactions: { emoji: string; userIds: string[] }[];
}

/** packages/client/examples/http-bot.ts (no socket) against real gateways. */
describe('packages/client/examples/http-bot.ts against a local cluster', () => {
  const cluster = useTestCluster({ nodes: 2 });
  const bot = useExampleBot(
    'http-bot.ts',
    () => ({
      CHAT_URL: cluster.nodes[1]!.url,
      BOT_USERNAME: 'http-bot',
      BOT_PASSWORD: 'http-bot-password',
      BOT_POLL_MS: '100',
    }),
    ['--max', '2'],
  );

  it('reacts to, replies to and reads every message over HTTP, then exits after --max', async () => {
    await waitFor(() => /polling/.test(bot.output()), {
      timeout: 30_000,
      message: 'bot started',
    });
    const botId = /http-bot \(([0-9a-f]{24})\) polling/.exec(bot.output())?.[1];
    expect(botId).toBeDefined();
    const ann = await cluster.register('ann_http_bot_tester', 0);
    const dm = await cluster.http<{ id: string }>(0, 'POST', '/api/conversations/direct', {
      token: ann.token,
      body: { userId: botId },
    });
    const socket = await cluster.connect(ann, 0);

    for (const text of ['hello bot', 'second message']) {
      const fromBot = { timeout: 15_000 };
      const reply = waitForEvent<{ message: Message }>(socket, 'message:new', {
        ...fromBot,
        filter: (e: { message: Message }) => e.message.senderId === botId,
      });
      const reacted = waitForEvent<ReactionsEvent>(socket, 'message:reactions', fromBot);
      const read = waitForEvent<ReceiptEvent>(socket, 'receipt', {
        ...fromBot,
        filter: (e: ReceiptEvent) => e.userId === botId && e.readSeq !== undefined,
      });
      const sent = await sendText(socket, dm.body.id, text);
      expect((await reacted).messageId).toBe(sent.id);
      expect((await reacted).reactions).toEqual([
        expect.objectContaining({ emoji: '👀', userIds: [botId] }),
      ]);
      const replied = (await reply).message;
      expect(replied).toMatchObject({ text: `seen: ${text}`, replyTo: { id: sent.id } });
      expect((await read).readSeq).toBeGreaterThanOrEqual(sent.seq);
    }
    expect(await bot.exit).toBe(0);
    expect(bot.output()).toContain('(2/2)');
  });
});
