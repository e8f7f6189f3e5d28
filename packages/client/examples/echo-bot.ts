// Echo bot: replies "echo: <text>" to every message not sent by itself.
// Run: CHAT_URL=http://localhost:8080 BOT_USERNAME=echo-bot BOT_PASSWORD=... \
//      npx tsx --conditions=@chat/source packages/client/examples/echo-bot.ts [--max N]
import { createChatClient, createHttpClient, isChatError } from '@chat/client';

const url = process.env['CHAT_URL'] ?? 'http://localhost:8080';
const username = process.env['BOT_USERNAME'] ?? 'echo-bot';
const password = process.env['BOT_PASSWORD'] ?? 'echo-bot-password';
const maxArg = process.argv.indexOf('--max');
const max = maxArg >= 0 ? Number(process.argv[maxArg + 1]) : Number.POSITIVE_INFINITY;

const http = createHttpClient({ baseUrl: url });
const auth = await http.login({ username, password }).catch((err: unknown) => {
  if (isChatError(err) && err.code === 'UNAUTHENTICATED')
    return http.register({ username, password });
  throw err;
});
const chat = createChatClient({ url, token: auth.accessToken });
let replies = 0;
chat.on('message', (m) => {
  if (m.senderId === auth.user.id || m.text === undefined || replies >= max) return;
  replies++;
  chat
    .send({ conversationId: m.conversationId, text: `echo: ${m.text}` })
    .then(() => {
      console.log(`replied in ${m.conversationId} (${replies}/${max})`);
      if (replies >= max) chat.close();
    })
    .catch((err: unknown) => console.error('reply failed', err));
});
chat.on('state', (state) => console.log(`state: ${state}`));
await chat.connect();
console.log(`${auth.user.username} (${auth.user.id}) connected to ${url}`);
