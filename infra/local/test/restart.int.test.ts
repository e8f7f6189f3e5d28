import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createChatClient } from '@chat/client';
import { authenticate, getFreePortBlock, httpJson, repoRoot, waitFor } from '@chat/testkit';

/*
 * `npm start`, Ctrl-C, `npm start` again, as a newcomer does it: through bootstrap.mjs (the
 * second start used to crash in its web-build check), on the same data folder. The data made
 * through the HTTP API before the restart must all be there after it: users (their passwords),
 * conversations, memberships, messages, receipts (read cursors), and seqs that go on from where they were
 * (Redis starts empty the second time: the counter is reseeded from MongoDB).
 */

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * `node infra/local/bootstrap.mjs start` in its own process group, so that stopping it is a
 * terminal's Ctrl-C: SIGINT to the whole group (bootstrap, npx, pnpm, tsx, the runner).
 */
async function npmStart(runDir: string): Promise<Started> {
  const port = await getFreePortBlock(1);
  const child = spawn(
    process.execPath,
    ['infra/local/bootstrap.mjs', 'start', '--nodes', '1', '--port', String(port)],
    {
      cwd: repoRoot,
      detached: true,
      env: { ...process.env, RUN_DIR: runDir, NODE_ENV: 'development' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitFor(() => output.includes(`Chat cluster ready: ${url}`), {
      timeout: 240_000,
      message: 'npm start to print the ready line',
    }),
    exited.then((code) => {
      throw new Error(`npm start exited with ${code} before it was ready`);
    }),
  ]).catch((error: unknown) => {
    throw new Error(`${String(error)}\n--- output ---\n${output}`);
  });
  return { child, url, output: () => output, exited };
}

async function ctrlC(started: Started): Promise<number | null> {
  if (started.child.pid !== undefined) process.kill(-started.child.pid, 'SIGINT');
  return started.exited;
}

const api = <T>(url: string, method: string, path: string, token?: string, body?: unknown) =>
  httpJson<T>(url, method, path, { token, body });

interface Conversation {
  id: string;
  title?: string;
  seq: number;
  readSeq: number;
  unreadCount: number;
  members: Array<{ userId: string; role: string }>;
}
interface Message {
  id: string;
  seq: number;
  text?: string;
  senderId: string;
}

describe('npm start twice on the same data folder', () => {
  const runDir = mkdtempSync(join(tmpdir(), 'restart-test-'));
  let current: Started | undefined;

  afterAll(async () => {
    if (current?.child.exitCode === null && current.child.pid !== undefined) {
      process.kill(-current.child.pid, 'SIGKILL');
      await current.exited;
    }
    rmSync(runDir, { recursive: true, force: true });
  });

  it('comes up both times, prints where the data is, and keeps every record', async () => {
    const tag = `r${process.pid % 100000}`;
    current = await npmStart(runDir);
    const first = current;
    expect(first.output()).toContain(`kept in ${join(runDir, 'data')}`);
    const register = (name: string) => authenticate(first.url, 'register', `${tag}${name}`);
    const alice = await register('alice');
    const bob = await register('bob');
    expect([alice.status, bob.status]).toEqual([201, 201]);
    const group = await api<Conversation>(
      first.url,
      'POST',
      '/api/conversations/group',
      alice.body.accessToken,
      { title: 'kept', memberIds: [bob.body.user.id] },
    );
    expect(group.status).toBe(201);
    const post = (url: string, token: string, clientMsgId: string, text: string) =>
      api<Message>(url, 'POST', `/api/conversations/${group.body.id}/messages`, token, {
        clientMsgId,
        text,
      });
    const sent: Message[] = [];
    for (const n of [1, 2, 3]) {
      const res = await post(
        first.url,
        alice.body.accessToken,
        `${tag}-${n}`,
        `before restart ${n}`,
      );
      expect(res.status).toBe(201);
      sent.push(res.body);
    }
    // The receipt: bob's read cursor, moved over the socket as the apps do.
    const bobClient = createChatClient({ url: first.url, token: bob.body.accessToken });
    await bobClient.connect();
    const read = await bobClient.request('conversation:read', {
      conversationId: group.body.id,
      seq: sent[1]?.seq ?? 0,
    });
    bobClient.close();
    expect(read.readSeq).toBe(sent[1]?.seq);

    expect(await ctrlC(first)).toBe(0);
    expect(existsSync(join(runDir, 'cluster.json'))).toBe(false);

    current = await npmStart(runDir);
    const second = current;
    const login = (name: string) => authenticate(second.url, 'login', `${tag}${name}`);
    const alice2 = await login('alice');
    const bob2 = await login('bob');
    expect([alice2.status, bob2.status]).toEqual([200, 200]);
    expect(alice2.body.user.id).toBe(alice.body.user.id);

    const list = await api<{ conversations: Conversation[] }>(
      second.url,
      'GET',
      '/api/conversations',
      bob2.body.accessToken,
    );
    const kept = list.body.conversations.find((c) => c.id === group.body.id);
    expect(kept?.title).toBe('kept');
    expect(kept?.members.map((m) => m.userId).sort()).toEqual(
      [alice.body.user.id, bob.body.user.id].sort(),
    );
    expect([kept?.readSeq, kept?.unreadCount, kept?.seq]).toEqual([sent[1]?.seq, 1, sent[2]?.seq]);

    const history = await api<{ messages: Message[] }>(
      second.url,
      'GET',
      `/api/conversations/${group.body.id}/messages?limit=50`,
      bob2.body.accessToken,
    );
    expect(history.body.messages.map((m) => [m.id, m.seq, m.text]).reverse()).toEqual(
      sent.map((m) => [m.id, m.seq, m.text]),
    );

    const next = await post(second.url, alice2.body.accessToken, `${tag}-4`, 'after restart');
    expect(next.status).toBe(201);
    expect(next.body.seq).toBeGreaterThan(sent[2]?.seq ?? Infinity);
    // The same clientMsgId as before the restart is still recognised: no duplicate.
    const resend = await post(second.url, alice2.body.accessToken, `${tag}-1`, 'before restart 1');
    expect(resend.body.id).toBe(sent[0]?.id);

    expect(await ctrlC(second)).toBe(0);
  }, 600_000);
});
