// HTTP-only bot: no socket. It polls its conversations, and for every new message from
// someone else it reacts 👀, replies "seen: <text>" as a reply to it, and marks the
// conversation read — the HTTP forms of the socket events (docs/PROTOCOL.md#section-7).
// Run: CHAT_URL=http://localhost:8080 BOT_USERNAME=http-bot BOT_PASSWORD=... \
//      npx tsx --conditions=@chat/source packages/client/examples/http-bot.ts [--max N]
import { createHttpClient, isChatError } from '@chat/client';

const url = process.env['CHAT_URL'] ?? 'http://localhost:8080';
const username = process.env['BOT_USERNAME'] ?? 'http-bot';
const password = process.env['BOT_PASSWORD'] ?? 'http-bot-password';
const pollMs = Number(process.env['BOT_POLL_MS'] ?? 1000);
const maxArg = process.argv.indexOf('--max');
const max = maxArg >= 0 ? Number(process.argv[maxArg + 1]) : Number.POSITIVE_INFINITY;

const http = createHttpClient({ baseUrl: url });
const auth = await http.login({ username, password }).catch((err: unknown) => {
  if (isChatError(err) && err.code === 'UNAUTHENTICATED')
    return http.register({ username, password });
  throw err;
});
console.log(`${auth.user.username} (${auth.user.id}) polling ${url}`);

let replies = 0;
while (replies < max) {
  const { conversations } = await http.listConversations({ limit: 50 });
  for (const conversation of conversations.filter((c) => c.unreadCount > 0)) {
    const { messages } = await http.history(conversation.id, { after: conversation.readSeq });
    for (const m of messages) {
      if (m.senderId === auth.user.id || m.text === undefined || replies >= max) continue;
      await http.react(m.id, '👀');
      await http.postMessage(conversation.id, { text: `seen: ${m.text}`, replyToId: m.id });
      replies++;
      console.log(`replied in ${conversation.id} (${replies}/${max})`);
    }
    const last = messages.at(-1);
    if (last) await http.markRead(conversation.id, last.seq);
  }
  if (replies < max) await new Promise((resolve) => setTimeout(resolve, pollMs));
}
