import { waitFor, waitForEvent } from '@chat/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { ack, useTestCluster, type ClientSocket } from './fixtures/cluster.js';
import { startExampleBot, type ExampleBot } from './fixtures/example-bot.js';

interface Msg {
  message: { senderId: string; text?: string; conversationId: string };
}

/** The SDK README's runnable example, run as the README says (tsx), against real gateways. */
describe('packages/client/examples/echo-bot.ts against a local cluster', () => {
  const cluster = useTestCluster({ nodes: 2 });
  let bot: ExampleBot | undefined;
  let attempt = 0;
  const output = () => bot?.output() ?? '';
  // Each attempt (CI retries a failed one) runs its own bot under its own names: a retry never
  // meets the previous attempt's bot, which may have exited, or its users.
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  it('registers, connects, answers every message with "echo: <text>" and exits after --max replies', async () => {
    const run = ++attempt;
    bot = startExampleBot(
      'echo-bot.ts',
      {
        CHAT_URL: cluster.nodes[1]!.url,
        BOT_USERNAME: `echo-bot-${run}`,
        BOT_PASSWORD: 'echo-bot-password',
      },
      ['--max', '2'],
    );
    const running = bot;
    await waitFor(() => /connected to/.test(output()), {
      timeout: 30_000,
      message: `bot connected; output:\n${output()}`,
    });
    const botId = /echo-bot-\d+ \(([0-9a-f]{24})\) connected/.exec(output())?.[1];
    expect(botId).toBeDefined();

    const ann = await cluster.register(`ann_bot_tester_${run}`, 0);
    const dm = await cluster.http<{ id: string }>(0, 'POST', '/api/conversations/direct', {
      token: ann.token,
      body: { userId: botId },
    });
    expect([200, 201]).toContain(dm.status);
    const socket: ClientSocket = await cluster.connect(ann, 0);

    for (const [i, text] of ['hello bot', 'second message'].entries()) {
      const echoed = waitForEvent<Msg>(socket, 'message:new', {
        timeout: 15_000,
        filter: (e: Msg) => e.message.senderId === botId,
      });
      const sent = await ack(socket, 'message:send', {
        conversationId: dm.body.id,
        clientMsgId: `bot-test-${run}-${i}`,
        text,
      });
      expect(sent.ok).toBe(true);
      const reply = await echoed.catch((err: unknown) => {
        throw new Error(`${String(err)}; bot output:\n${output()}`);
      });
      expect(reply.message.text).toBe(`echo: ${text}`);
      expect(reply.message.conversationId).toBe(dm.body.id);
    }
    expect(await running.exit).toBe(0);
    expect(output()).toContain('(2/2)');
  });
});
