import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { message, startFakeGateway, until, type FakeGateway } from './fake-gateway.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const BOT_ID = 'e'.repeat(24);
let gw: FakeGateway | undefined;
afterEach(async () => {
  await gw?.close();
});

it('examples/echo-bot.ts registers when login fails, echoes others’ messages and exits after --max', async () => {
  const calls: string[] = [];
  const registered: unknown[] = [];
  gw = await startFakeGateway((req, body, res) => {
    calls.push(`${req.method} ${req.url}`);
    const user = {
      id: BOT_ID,
      username: 'bot',
      displayName: 'bot',
      createdAt: new Date().toISOString(),
    };
    res.setHeader('content-type', 'application/json');
    if (req.url === '/api/auth/login') {
      res
        .writeHead(401)
        .end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'bad credentials' } }));
    } else if (req.url === '/api/auth/register') {
      registered.push(JSON.parse(body));
      res.writeHead(201).end(JSON.stringify({ user, accessToken: 'good' }));
    } else res.writeHead(404).end();
  });
  let seq = 10;
  gw.handle('message:send', (_s, payload, ack) => {
    const p = payload as { conversationId: string; clientMsgId: string; text: string };
    ack({
      ok: true,
      message: message(++seq, { senderId: BOT_ID, text: p.text, clientMsgId: p.clientMsgId }),
    });
  });

  const bot = spawn(
    process.execPath,
    [
      '--conditions=@chat/source',
      '--import',
      'tsx',
      'packages/client/examples/echo-bot.ts',
      '--max',
      '2',
    ],
    {
      cwd: root,
      env: { ...process.env, CHAT_URL: gw.url, BOT_USERNAME: 'bot-x', BOT_PASSWORD: 'pw-123456' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  bot.stdout.on('data', (d: Buffer) => (output += d.toString()));
  bot.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => bot.on('exit', (code) => resolve(code)));
  try {
    await until(
      () => gw !== undefined && gw.sockets().length === 1,
      `bot connection; output: ${output}`,
      20_000,
    );
    const s = gw.sockets()[0];
    s?.emit('message:new', { message: message(9) });
    s?.emit('message:new', { message: message(10, { senderId: BOT_ID, text: 'mine' }) }); // own: ignored
    s?.emit('message:new', { message: message(11) });
    s?.emit('message:new', { message: message(12) }); // over --max: ignored
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`bot did not exit: ${output}`)), 15_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(code).toBe(0);
  } finally {
    if (bot.exitCode === null) bot.kill('SIGKILL');
  }
  expect(calls).toEqual(['POST /api/auth/login', 'POST /api/auth/register']);
  expect(registered).toEqual([{ username: 'bot-x', password: 'pw-123456' }]);
  const texts = gw.received
    .filter((r) => r.event === 'message:send')
    .map((r) => (r.payload as { text: string }).text);
  expect(texts).toEqual(['echo: m9', 'echo: m11']);
});
