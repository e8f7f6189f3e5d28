import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from './local-cluster.js';
import { gradientPng } from './png.js';

const webRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(webRoot, '..', '..');
/** CI uploads this folder as an artifact (README, "Testing"). */
const shots = join(repoRoot, 'artifacts', 'screenshots');
const T = 20_000;
const ACCESS_TTL_S = 20;

// Network noise Chromium logs while a node is down (the socket drops, a request hits the dead upstream).
const OUTAGE_NOISE = /WebSocket connection to .* failed|Failed to load resource|net::ERR_/;

interface Person {
  name: string;
  username: string;
  context: BrowserContext;
  page: Page;
  errors: string[];
}

async function openPerson(
  browser: Browser,
  url: string,
  name: string,
  options: { timezoneId: string; viewport: { width: number; height: number } },
): Promise<Person> {
  const context = await browser.newContext({ locale: 'en-US', ...options, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return {
    name,
    username: `${name.toLowerCase()}_${Date.now().toString(36)}`,
    context,
    page,
    errors,
  };
}

async function register(p: Person): Promise<void> {
  await p.page.getByRole('button', { name: 'Create an account' }).click();
  await p.page.fill('input[name=username]', p.username);
  await p.page.fill('input[name=displayName]', `${p.name} ${p.name === 'Ann' ? 'Lee' : 'Kumar'}`);
  await p.page.fill('input[name=password]', 'correct horse battery');
  await p.page.getByRole('button', { name: 'Create account' }).click();
  await p.page.getByRole('complementary', { name: 'Conversations' }).waitFor({ timeout: T });
}

async function send(p: Person, text: string): Promise<void> {
  const box = p.page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

/** `owner` creates a group with `member` from the "New group" dialog; it opens. */
async function createGroup(owner: Person, title: string, member: Person): Promise<void> {
  await owner.page.getByRole('button', { name: 'New group' }).click();
  const dialog = owner.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill(title);
  await dialog.getByRole('searchbox').fill(member.username);
  await dialog.getByRole('button', { name: new RegExp(`@${member.username}`) }).click();
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await owner.page.locator('.chat-head h2', { hasText: title }).waitFor({ timeout: T });
}

function bubble(p: Person, text: string) {
  return p.page.locator('li.msg', { has: p.page.locator('.text', { hasText: text }) });
}

/**
 * Someone outside the browsers (a bot over HTTP) with a direct conversation with `p`. Its
 * access token lasts ACCESS_TTL_S: use it at once.
 */
async function botWith(
  base: string,
  name: string,
  displayName: string,
  p: Person,
): Promise<{ auth: Record<string, string>; dm: { id: string } }> {
  const bot = (await (
    await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: `${name}_${Date.now().toString(36)}`,
        password: 'correct horse battery',
        displayName,
      }),
    })
  ).json()) as { accessToken: string };
  const { accessToken } = await storedTokens(p);
  const target = (await p.page.evaluate(
    (token) =>
      fetch('/api/users/me', { headers: { authorization: `Bearer ${token}` } }).then((r) =>
        r.json(),
      ),
    accessToken,
  )) as { id: string };
  const auth = { authorization: `Bearer ${bot.accessToken}`, 'content-type': 'application/json' };
  const dm = (await (
    await fetch(`${base}/api/conversations/direct`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ userId: target.id }),
    })
  ).json()) as { id: string };
  return { auth, dm };
}

/** The tab's tokens (sessionStorage, written by the web store on every renewal). */
async function storedTokens(p: Person): Promise<{ accessToken: string; refreshToken: string }> {
  return p.page.evaluate(
    () =>
      JSON.parse(sessionStorage.getItem('chat.session') ?? '{}') as {
        accessToken: string;
        refreshToken: string;
      },
  );
}

function expiryOf(jwt: string): number {
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as {
    exp: number;
  };
  return payload.exp * 1000;
}

/**
 * A third person who speaks only HTTP (like a bot). Every call signs in afresh: access tokens
 * last ACCESS_TTL_S in this run, and the steps between two calls may take longer.
 */
async function httpPerson(base: string, name: string, displayName: string) {
  const username = `${name}_${Date.now().toString(36)}`;
  const password = 'correct horse battery';
  const json = { 'content-type': 'application/json' };
  const registered = (await (
    await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username, password, displayName }),
    })
  ).json()) as { user: { id: string } };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const { accessToken } = (await (
      await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username, password }),
      })
    ).json()) as { accessToken: string };
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...json, authorization: `Bearer ${accessToken}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  return { id: registered.user.id, username, call };
}

async function shot(p: Person, name: string): Promise<void> {
  // Park the pointer so hover-only toolbars do not cover the picture.
  await p.page.mouse.move(1, 1);
  // Dialogs fade in: picture them once their animations are done.
  await p.page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running'),
  );
  await p.page.screenshot({ path: join(shots, `${name}.png`) });
}

/** What a failed step leaves to look at: each page's picture, state and errors, and the cluster's log. */
async function dumpOnFailure(people: Person[], cluster: LocalCluster | undefined, step: string) {
  const report: string[] = [`--- e2e step failed: ${step}`];
  for (const p of people) {
    const pending = await p.page
      .locator('li.msg.pending')
      .evaluateAll((els) => els.map((el) => el.textContent ?? ''))
      .catch(() => []);
    report.push(
      `${p.name}: url=${p.page.url()} pending=${JSON.stringify(pending)}`,
      `${p.name} console errors: ${JSON.stringify(p.errors.slice(-20))}`,
    );
    await p.page
      .screenshot({ path: join(shots, `failed-${p.name.toLowerCase()}.png`) })
      .catch(() => undefined);
  }
  report.push('--- cluster log (warn and above), last 60 lines:');
  report.push(...(cluster?.output() ?? '').split('\n').slice(-60));
  console.error(report.join('\n'));
}

// No retry: each step continues the story of the previous ones (the same people, chats and
// messages), so a second attempt of one step would start from a state it was not written for.
const STORY =
  'web UI end to end: two browsers, a real cluster behind nginx, a node killed mid-conversation';
describe(STORY, { retry: 0 }, () => {
  let cluster: LocalCluster;
  let browser: Browser;
  let ann: Person;
  let bob: Person;
  /** Ann's tokens right after registering; the last tests check the session outlived them. */
  let annFirstToken: { accessToken: string; refreshToken: string };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    // The gateways serve packages/web/dist, so the UI is built from the current source first.
    await build({ configFile: join(webRoot, 'vite.config.ts'), root: webRoot, logLevel: 'warn' });
    // Generous message rate: the history test posts 120 messages in a burst. Access tokens last
    // 20 s, so every session in this run outlives many of them (renewed by the SDK).
    cluster = await startLocalCluster(repoRoot, 2, {
      RATE_MESSAGES_PER_WINDOW: '1000',
      ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S),
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    // Two time zones, to check times are shown in each viewer's own zone; Bob is on a phone.
    ann = await openPerson(browser, cluster.info.url, 'Ann', {
      timezoneId: 'America/New_York',
      viewport: { width: 1280, height: 800 },
    });
    bob = await openPerson(browser, cluster.info.url, 'Bob', {
      timezoneId: 'Asia/Kolkata',
      viewport: { width: 390, height: 780 },
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  beforeEach(({ task, onTestFailed }) => {
    onTestFailed(() => dumpOnFailure([ann, bob].filter(Boolean), cluster, task.name));
  });

  it('registers both people through the UI', async () => {
    await ann.page.getByRole('heading', { name: 'Welcome back' }).waitFor({ timeout: T });
    await shot(ann, '01-login');
    await register(ann);
    await register(bob);
    annFirstToken = await storedTokens(ann);
    await shot(ann, '02-empty-inbox');
  });

  it('starts a direct chat by username; the message shows at once and reaches the other side with an unread badge', async () => {
    await ann.page
      .getByRole('searchbox', { name: 'Search people by username' })
      .fill(bob.username.slice(0, 6));
    await ann.page.getByRole('button', { name: new RegExp(`@${bob.username}`) }).click();
    await send(ann, 'Hi Bob! Are we still on for Saturday?');
    await bubble(ann, 'Hi Bob!').waitFor({ timeout: T });
    const conv = bob.page.locator('button[data-conversation]', { hasText: 'Ann Lee' });
    await conv.waitFor({ timeout: T });
    await expect
      .poll(() => conv.locator('[data-testid=unread]').textContent(), { timeout: T })
      .toBe('1');
    await shot(bob, '03-phone-list-unread');
    await conv.click();
    await bubble(bob, 'Hi Bob!').waitFor({ timeout: T });
  });

  it('moves the ticks to read once Bob has the chat open', async () => {
    await expect
      .poll(() => bubble(ann, 'Hi Bob!').locator('.ticks').getAttribute('data-status'), {
        timeout: T,
      })
      .toBe('read');
  });

  it('keeps the ticks right after a reload (the conversation carries every member’s cursors)', async () => {
    await ann.page.reload();
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    // Read at once from what the reload fetched: no receipt event arrives after it.
    expect(
      await bubble(ann, 'Hi Bob!').locator('.ticks').getAttribute('data-status', { timeout: T }),
    ).toBe('read');
  });

  it('shows times in each viewer’s own time zone', async () => {
    const check = async (p: Person, zone: string) => {
      const time = bubble(p, 'Hi Bob!').locator('.meta time');
      const iso = await time.getAttribute('datetime');
      const expected = new Intl.DateTimeFormat('en-US', {
        hour: '2-digit',
        minute: '2-digit',
        timeZone: zone,
      }).format(new Date(iso ?? ''));
      expect(await time.textContent()).toBe(expected);
    };
    await check(ann, 'America/New_York');
    await check(bob, 'Asia/Kolkata');
  });

  it('shows the typing indicator on the other side', async () => {
    await bob.page
      .getByRole('textbox', { name: 'Message' })
      .pressSequentially('Yes! ', { delay: 20 });
    await ann.page.locator('[data-testid=typing]').waitFor({ timeout: T });
    await expect
      .poll(() => ann.page.getByTestId('chat-subtitle').textContent(), { timeout: T })
      .toBe('typing…');
    await shot(ann, '04-typing');
    await bob.page
      .getByRole('textbox', { name: 'Message' })
      .pressSequentially('See you at 10 at the station 🚉');
    await bob.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await bubble(ann, 'See you at 10').waitFor({ timeout: T });
    await ann.page.locator('[data-testid=typing]').waitFor({ state: 'detached', timeout: T });
  });

  it('a reaction shows up on the other side', async () => {
    const target = bubble(ann, 'See you at 10');
    await target.locator('.bubble').hover();
    await target.getByRole('button', { name: 'React', exact: true }).click();
    await target.getByRole('menuitem', { name: 'React 👍' }).click();
    await bubble(bob, 'See you at 10')
      .locator('.reaction', { hasText: '👍' })
      .waitFor({ timeout: T });
    expect(await bubble(bob, 'See you at 10').locator('.reaction').textContent()).toContain('1');
  });

  it('an image upload shows a progress bar, then a preview on both sides', async () => {
    // Record whether an upload progress bar was ever on screen (uploads on localhost are quick).
    await ann.page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('.staged-item progress')) w.sawProgress = true;
      }).observe(document.body, { childList: true, subtree: true });
    });
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
    await ann.page.getByTestId('file-input').setInputFiles([
      { name: 'sunset.png', mimeType: 'image/png', buffer: gradientPng(480, 300) },
      { name: 'itinerary.pdf', mimeType: 'application/pdf', buffer: pdf },
    ]);
    await expect.poll(() => ann.page.locator('.staged-item').count(), { timeout: T }).toBe(2);
    await expect
      .poll(() => ann.page.locator('.staged-item progress').count(), { timeout: T })
      .toBe(0);
    expect(await ann.page.locator('.staged-item.error').count()).toBe(0);
    expect(
      await ann.page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress),
    ).toBe(true);
    await ann.page.getByRole('textbox', { name: 'Message' }).fill('The view from last time');
    await ann.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const img = bob.page.locator('li.msg .attachments img[alt="sunset.png"]');
    await img.waitFor({ timeout: T });
    await expect
      .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), {
        timeout: T,
      })
      .toBe(480);
    // Non-images are download links to the signed /files URL.
    const link = bob.page.locator('li.msg a.file-link', { hasText: 'itinerary.pdf' });
    await link.waitFor({ timeout: T });
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/files\//);
    const download = await bob.page.evaluate(async (url) => {
      const res = await fetch(url);
      return { status: res.status, disposition: res.headers.get('content-disposition') };
    }, href ?? '');
    expect(download.status).toBe(200);
    expect(download.disposition).toMatch(/^attachment/);
    await bob.page.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await shot(ann, '05-chat-desktop');
    await shot(bob, '06-chat-phone');
  });

  it('shows presence dots: the other person is online', async () => {
    await ann.page.locator('.chat-head .presence-dot[data-online=true]').waitFor({ timeout: T });
    expect(await ann.page.getByTestId('chat-subtitle').textContent()).toBe('online');
  });

  it('creates a group, renames it, adds and removes members; the other side gets it with a notification', async () => {
    await createGroup(ann, 'Weekend trip', bob);
    await send(ann, 'Packing list: boots, rain jacket, snacks');

    await ann.page.getByRole('button', { name: 'Group info' }).click();
    const info = ann.page.getByRole('dialog', { name: 'Group info' });
    await info.getByLabel('Group name').fill('Saturday hike');
    await info.getByRole('button', { name: 'Rename' }).click();
    await ann.page.locator('.chat-head h2', { hasText: 'Saturday hike' }).waitFor({ timeout: T });
    await info.locator('li', { hasText: 'Bob Kumar' }).waitFor({ timeout: T });
    await shot(ann, '09-group-info');

    // Bob (phone): back to the list, where the renamed group and a notification wait.
    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await bob.page
      .locator('button[data-conversation]', { hasText: 'Saturday hike' })
      .waitFor({ timeout: T });
    await bob.page
      .getByRole('button', { name: /Notifications \(\d+ unread\)/ })
      .waitFor({ timeout: T });
    await bob.page.getByRole('button', { name: /Notifications/ }).click();
    await bob.page
      .getByRole('dialog', { name: 'Notifications' })
      .locator('li')
      .first()
      .waitFor({ timeout: T });
    await shot(bob, '10-phone-notifications');
    // The notification opens the group it is about.
    await bob.page
      .getByRole('dialog', { name: 'Notifications' })
      .locator('li button')
      .first()
      .click();
    await bob.page.locator('.chat-head h2', { hasText: 'Saturday hike' }).waitFor({ timeout: T });
    await bubble(bob, 'Packing list').waitFor({ timeout: T });

    // Message info: who read it and when.
    await ann.page.keyboard.press('Escape');
    const packing = bubble(ann, 'Packing list');
    await expect
      .poll(() => packing.locator('.ticks').getAttribute('data-status'), { timeout: T })
      .toBe('read');
    await packing.locator('.bubble').hover();
    await packing.getByRole('button', { name: 'Info', exact: true }).click();
    const readBy = ann.page
      .getByRole('dialog', { name: 'Message info' })
      .getByRole('list', { name: 'Read by' });
    await readBy.locator('li', { hasText: 'Bob Kumar' }).waitFor({ timeout: T });
    await shot(ann, '18-message-info');
    await ann.page.keyboard.press('Escape');
    await ann.page.getByRole('button', { name: 'Group info' }).click();

    // Removing Bob takes the group away from him at once.
    await info.getByRole('button', { name: 'Remove Bob Kumar' }).click();
    await info.locator('li', { hasText: 'Bob Kumar' }).waitFor({ state: 'detached', timeout: T });
    await bob.page
      .locator('button[data-conversation]', { hasText: 'Saturday hike' })
      .waitFor({ state: 'detached', timeout: T });
    await ann.page.keyboard.press('Escape');
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await bob.page.locator('button[data-conversation]', { hasText: 'Ann Lee' }).click();
    await bubble(bob, 'The view from last time').waitFor({ timeout: T });
  });

  it('survives a gateway SIGKILL: a reconnecting banner, then everything caught up, nothing duplicated, no reload', async () => {
    expect(ann.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
    // Both browsers come from 127.0.0.1, so nginx's hash puts them on the node it picks for us.
    const res = await fetch(`${cluster.info.url}/healthz`);
    const victim = cluster.info.nodes.find((n) => n.id === res.headers.get('x-node-id'));
    if (!victim) throw new Error('no node id in X-Node-Id');
    const marker = await ann.page.evaluate(
      () => ((window as unknown as { e2eMarker: number }).e2eMarker = Math.random()),
    );
    process.kill(victim.pid, 'SIGKILL');

    await ann.page.getByTestId('reconnecting').waitFor({ timeout: T });
    await bob.page.getByTestId('reconnecting').waitFor({ timeout: T });
    await shot(ann, '07-reconnecting');
    // Sent while the connection is down: kept as pending and delivered once after the reconnect.
    await send(ann, 'Did you get this while the server restarted?');
    await ann.page.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 30_000 });
    await bob.page.getByTestId('reconnecting').waitFor({ state: 'detached', timeout: 30_000 });
    await bubble(bob, 'while the server restarted').waitFor({ timeout: T });
    // Bob's read receipt (not his reply, which would imply it) turns Ann's ticks blue.
    await expect
      .poll(
        () =>
          bubble(ann, 'while the server restarted').locator('.ticks').getAttribute('data-status'),
        { timeout: T },
      )
      .toBe('read');
    await send(bob, 'Got it, all good here');
    await bubble(ann, 'all good here').waitFor({ timeout: T });

    for (const p of [ann, bob]) {
      const seqs = await p.page
        .locator('li.msg[data-seq]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-seq')));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs).toHaveLength(5);
      expect(await p.page.locator('li.msg.pending').count()).toBe(0);
      expect(await bubble(p, 'while the server restarted').count()).toBe(1);
    }
    expect(
      await ann.page.evaluate(() => (window as unknown as { e2eMarker: number }).e2eMarker),
    ).toBe(marker);
    await shot(ann, '08-after-failover');
    for (const p of [ann, bob]) expect(p.errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
  });

  it('reply, edit (from the keyboard), delete for everyone and for me', async () => {
    const target = bubble(ann, 'all good here');
    await target.locator('.bubble').hover();
    await target.getByRole('button', { name: 'Reply', exact: true }).click();
    await ann.page.getByText('Replying to Bob Kumar').waitFor({ timeout: T });
    await send(ann, 'Great!');
    const reply = bubble(bob, 'Great!');
    await reply.locator('.reply-quote', { hasText: 'all good here' }).waitFor({ timeout: T });

    // Keyboard only: focus the message, Tab to its Edit action, Enter, type, Enter. Only the
    // stored message has actions: Ann's copy stays pending until her ack (or her own
    // message:new) arrives, which under load can be after Bob already has his.
    const stored = ann.page.locator('li.msg[data-seq]', {
      has: ann.page.locator('.text', { hasText: 'Great!' }),
    });
    await stored.waitFor({ timeout: T });
    await stored.locator('.bubble').focus();
    for (let i = 0; i < 6; i++) {
      await ann.page.keyboard.press('Tab');
      if (
        (await ann.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) ===
        'Edit'
      )
        break;
    }
    await ann.page.keyboard.press('Enter');
    await ann.page.getByText('Editing message').waitFor({ timeout: T });
    await ann.page.keyboard.press('ControlOrMeta+A');
    await ann.page.keyboard.type('Great, see you Saturday!');
    await ann.page.keyboard.press('Enter');
    await bubble(bob, 'Great, see you Saturday!').locator('.edited').waitFor({ timeout: T });

    const gone = bubble(ann, 'while the server restarted');
    const seq = await gone.getAttribute('data-seq');
    await gone.locator('.bubble').hover();
    await gone.getByRole('button', { name: 'Delete', exact: true }).click();
    await gone.getByRole('menuitem', { name: 'Delete for everyone' }).click();
    await bob.page.locator(`li.msg[data-seq="${seq}"].deleted`).waitFor({ timeout: T });
    expect(await bob.page.locator(`li.msg[data-seq="${seq}"]`).textContent()).toContain(
      'This message was deleted',
    );

    const mine = bubble(ann, 'See you at 10');
    await mine.locator('.bubble').hover();
    await mine.getByRole('button', { name: 'Delete', exact: true }).click();
    await mine.getByRole('menuitem', { name: 'Delete for me' }).click();
    await mine.waitFor({ state: 'detached', timeout: T });
    expect(await bubble(bob, 'See you at 10').count()).toBe(1);
    await bob.page.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await shot(bob, '11-phone-reply-edit-delete');
    await shot(ann, '12-desktop-reply-edit-delete');
  });

  it('links, an in-page image viewer and an inline audio player', async () => {
    await send(ann, 'Trail map: https://example.com/trail?id=7 (not javascript:alert(1))');
    const msg = bubble(bob, 'Trail map:');
    const link = msg.locator('a[href="https://example.com/trail?id=7"]');
    await link.waitFor({ timeout: T });
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await msg.locator('a').count()).toBe(1); // javascript: stayed text

    // An MP3 (ID3 tag + one MPEG frame header) plays inline instead of being a download.
    const mp3 = Buffer.concat([
      Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00', 'latin1'),
      Buffer.from([0xff, 0xfb, 0x90, 0x64]),
      Buffer.alloc(413),
    ]);
    await ann.page
      .getByTestId('file-input')
      .setInputFiles([{ name: 'birdsong.mp3', mimeType: 'audio/mpeg', buffer: mp3 }]);
    await expect
      .poll(() => ann.page.locator('.staged-item progress').count(), { timeout: T })
      .toBe(0);
    await ann.page.getByRole('textbox', { name: 'Message' }).fill('Heard this on the way');
    await ann.page.getByRole('textbox', { name: 'Message' }).press('Enter');
    const audio = bob.page.locator('li.msg audio[aria-label="birdsong.mp3"]');
    await audio.waitFor({ timeout: T });
    expect(await audio.getAttribute('src')).toMatch(/^\/files\//);

    // The photo opens over the page, not in a new tab.
    await bob.page.getByRole('button', { name: 'View sunset.png' }).click();
    const viewer = bob.page.getByRole('dialog', { name: 'sunset.png' });
    await viewer.locator('img').waitFor({ timeout: T });
    expect(bob.context.pages()).toHaveLength(1);
    await shot(bob, '24-phone-image-viewer');
    await bob.page.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached', timeout: T });
    await bob.page.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await shot(bob, '25-phone-link-audio');
  });

  it('reads long history with infinite scroll upward, in order, without duplicates', async () => {
    const base = cluster.info.url;
    const { auth, dm } = await botWith(base, 'carol', 'Carol Diaz', ann);
    for (let i = 1; i <= 120; i++) {
      const res = await fetch(`${base}/api/conversations/${dm.id}/messages`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ clientMsgId: `h-${i}`, text: `History line ${i}` }),
      });
      expect(res.status).toBe(201);
    }
    const row = ann.page.locator('button[data-conversation]', { hasText: 'Carol Diaz' });
    await expect
      .poll(() => row.locator('[data-testid=unread]').textContent(), { timeout: T })
      .toBe('120');
    await row.click();
    await bubble(ann, 'History line 120').waitFor({ timeout: T });
    const messages = ann.page.locator('.messages');
    // Scrolling to the top loads the page before the oldest one shown, until the first message.
    await expect
      .poll(
        async () => {
          await messages.evaluate((el) => (el.scrollTop = 0));
          return ann.page.locator('.history-start').count();
        },
        { timeout: T },
      )
      .toBe(1);
    await ann.page.locator('.history-start').waitFor({ timeout: T });
    const texts = await ann.page.locator('li.msg .text').allTextContents();
    expect(texts).toEqual(Array.from({ length: 120 }, (_, i) => `History line ${i + 1}`));
    await expect.poll(() => row.locator('[data-testid=unread]').count(), { timeout: T }).toBe(0);
    await shot(ann, '13-history-top');
    for (const p of [ann, bob]) expect(p.errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
  });

  it('search: a hit across conversations opens its chat with the history around it, the message flashed', async () => {
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await ann.page.getByRole('searchbox', { name: 'Search messages' }).fill('history line 7');
    const found = ann.page.getByRole('list', { name: 'Messages found' });
    await expect.poll(() => found.locator('button[data-hit]').count(), { timeout: T }).toBe(1);
    await found.locator('button', { hasText: 'History line 7' }).waitFor({ timeout: T });
    await shot(ann, '21-search-results');
    await found.locator('button[data-hit]').click();
    await ann.page.locator('.chat-head h2', { hasText: 'Carol Diaz' }).waitFor({ timeout: T });
    const hit = ann.page.locator('li.msg[data-seq="7"]');
    await hit.waitFor({ timeout: T });
    await expect.poll(() => hit.getAttribute('class'), { timeout: T }).toContain('highlight');
    // In view, with its neighbours loaded (the list reaches back past it).
    const box = await hit.boundingBox();
    const pane = await ann.page.locator('.messages').boundingBox();
    expect(box && pane && box.y >= pane.y && box.y + box.height <= pane.y + pane.height).toBe(true);
    expect(await ann.page.locator('li.msg[data-seq="6"]').count()).toBe(1);
    expect(await ann.page.locator('li.msg[data-seq="8"]').count()).toBe(1);
    await shot(ann, '22-search-hit-opened');

    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await bob.page.getByRole('searchbox', { name: 'Search messages' }).fill('saturday');
    await bob.page
      .getByRole('list', { name: 'Messages found' })
      .locator('button[data-hit]')
      .first()
      .waitFor({ timeout: T });
    await shot(bob, '23-phone-search');
    await bob.page.getByRole('searchbox', { name: 'Search messages' }).fill('');
    await bob.page.locator('button[data-conversation]', { hasText: 'Ann Lee' }).click();
  });

  it('alerts: tab title count, a desktop notification (granted) that opens its chat, a sound that can be turned off; a muted chat raises none', async () => {
    await ann.context.grantPermissions(['notifications'], { origin: cluster.info.url });
    // Spies: notifications and chimes are recorded, and the test decides whether the tab is hidden.
    await ann.page.evaluate(() => {
      const w = window as unknown as {
        notes: { title: string; body?: string; n: { onclick: (() => void) | null } }[];
        chimes: number;
        hidden: boolean;
      };
      w.notes = [];
      w.chimes = 0;
      w.hidden = false;
      const Real = window.Notification;
      class Spy {
        onclick: (() => void) | null = null;
        static get permission() {
          return Real.permission;
        }
        static requestPermission = () => Real.requestPermission();
        constructor(title: string, options?: NotificationOptions) {
          w.notes.push({ title, ...(options?.body ? { body: options.body } : {}), n: this });
        }
        close() {}
      }
      (window as unknown as { Notification: unknown }).Notification = Spy;
      // On the prototype: the page may already hold its AudioContext from earlier messages.
      const createOscillator = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function (this: AudioContext) {
        w.chimes += 0.5; // two tones per chime
        return createOscillator.call(this);
      };
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (w.hidden ? 'hidden' : 'visible'),
      });
    });
    const spied = () =>
      ann.page.evaluate(() => {
        const w = window as unknown as {
          notes: { title: string; body?: string }[];
          chimes: number;
        };
        return {
          notes: w.notes.map((n) => ({ title: n.title, body: n.body })),
          chimes: w.chimes,
        };
      });
    const setHidden = (hidden: boolean) =>
      ann.page.evaluate((h) => {
        (window as unknown as { hidden: boolean }).hidden = h;
        // As a real tab switch does: the store marks the open chat read when the tab comes back
        // (without the event, that depended on a page load finishing after the switch).
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);

    const base = cluster.info.url;
    const { auth, dm } = await botWith(base, 'dan', 'Dan Wu', ann);
    const danSays = async (text: string) => {
      const res = await fetch(`${base}/api/conversations/${dm.id}/messages`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ clientMsgId: `a-${Math.random()}`, text }),
      });
      expect(res.status).toBe(201);
    };

    // Ann has Bob's chat open and the tab hidden.
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await setHidden(true);
    await danSays('Ping from Dan');
    const danRow = ann.page.locator('button[data-conversation]', { hasText: 'Dan Wu' });
    await expect.poll(() => ann.page.title(), { timeout: T }).toBe('(1) Chat');
    await expect
      .poll(async () => (await spied()).notes, { timeout: T })
      .toEqual([{ title: 'Dan Wu', body: 'Ping from Dan' }]);
    expect((await spied()).chimes).toBe(1);
    // Clicking the notification opens Dan's chat.
    await ann.page.evaluate(() => {
      (window as unknown as { notes: { n: { onclick: () => void } }[] }).notes[0]?.n.onclick();
    });
    await ann.page.locator('.chat-head h2', { hasText: 'Dan Wu' }).waitFor({ timeout: T });
    await setHidden(false);
    await expect.poll(() => ann.page.title(), { timeout: T }).toBe('Chat');

    // Muted: no notification, no sound, not in the title (the list still shows it).
    await ann.page.getByTestId('mute-button').click();
    await shot(ann, '19-mute-menu');
    await ann.page.getByRole('menuitem', { name: 'Until I turn it back on' }).click();
    await danRow.getByTestId('muted').waitFor({ timeout: T });
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await setHidden(true);
    await danSays('Muted ping');
    await danRow.locator('.preview', { hasText: 'Muted ping' }).waitFor({ timeout: T });
    await expect
      .poll(() => danRow.locator('[data-testid=unread]').textContent(), { timeout: T })
      .toBe('1');
    expect(await ann.page.title()).toBe('Chat');
    expect(await spied()).toEqual({
      notes: [{ title: 'Dan Wu', body: 'Ping from Dan' }],
      chimes: 1,
    });

    // Unmuted with the sound off: a notification, no chime.
    await setHidden(false);
    await danRow.click();
    await ann.page.getByTestId('mute-button').click();
    await ann.page.getByRole('menuitem', { name: 'Unmute' }).click();
    await danRow.getByTestId('muted').waitFor({ state: 'detached', timeout: T });
    await ann.page.getByRole('button', { name: 'Settings' }).click();
    const settings = ann.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Play a sound when a message arrives').uncheck();
    await ann.page.keyboard.press('Escape');
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await setHidden(true);
    await danSays('Quiet but visible');
    await expect.poll(async () => (await spied()).notes.length, { timeout: T }).toBe(2);
    expect((await spied()).chimes).toBe(1);
    await setHidden(false);

    // The phone layout of the mute menu (Bob's phone has Ann's chat open).
    await bob.page.locator('.chat-head h2', { hasText: 'Ann Lee' }).waitFor({ timeout: T });
    await bob.page.getByTestId('mute-button').click();
    await bob.page.getByRole('menuitem', { name: 'For 8 hours' }).waitFor({ timeout: T });
    await shot(bob, '20-phone-mute-menu');
    await bob.page.getByTestId('mute-button').click();
    for (const p of [ann, bob]) expect(p.errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
  });

  it('keeps the session alive past the access-token lifetime: renewed, still connected, still live', async () => {
    const firstExpiry = expiryOf(annFirstToken.accessToken);
    // The suite usually runs for minutes; on a fast box wait out the first token here.
    await expect
      .poll(() => Date.now() > firstExpiry + 2000, { timeout: (ACCESS_TTL_S + 10) * 1000 })
      .toBe(true);
    const now = await storedTokens(ann);
    expect(now.accessToken).not.toBe(annFirstToken.accessToken);
    expect(now.refreshToken).not.toBe(annFirstToken.refreshToken);
    expect(expiryOf(now.accessToken)).toBeGreaterThan(Date.now());
    expect(await ann.page.getByTestId('reconnecting').count()).toBe(0);
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await send(bob, 'Still there after all those tokens?');
    await bubble(ann, 'Still there after all those tokens?').waitFor({ timeout: T });
  });

  it('devices: Ann signs out her other browser from settings; it lands on the login page, says why, and keeps the draft', async () => {
    const other = await openPerson(browser, cluster.info.url, 'Ann2', {
      timezoneId: 'America/New_York',
      viewport: { width: 1280, height: 800 },
    });
    await other.page.fill('input[name=username]', ann.username);
    await other.page.fill('input[name=password]', 'correct horse battery');
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    const draft = 'Half-written thought about the trip';
    await other.page.getByRole('textbox', { name: 'Message' }).fill(draft);

    await ann.page.getByRole('button', { name: 'Settings' }).click();
    const settings = ann.page.getByRole('dialog', { name: 'Settings' });
    const devices = settings.getByRole('list', { name: 'Signed-in devices' });
    await expect.poll(() => devices.locator('li').count(), { timeout: T }).toBe(2);
    await devices.locator('li', { hasText: 'This device' }).waitFor({ timeout: T });
    await shot(ann, '15-settings-devices');
    await settings.getByRole('button', { name: 'Sign out all other devices' }).click();
    await expect.poll(() => devices.locator('li').count(), { timeout: T }).toBe(1);

    // Within seconds the other browser is on the login page with the reason.
    await other.page.getByTestId('session-ended').waitFor({ timeout: 10_000 });
    await shot(other, '16-session-ended');
    await other.page.fill('input[name=username]', ann.username);
    await other.page.fill('input[name=password]', 'correct horse battery');
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    expect(await other.page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe(draft);
    // Drafts also survive switching chats and a reload.
    await other.page.reload();
    await other.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    expect(await other.page.getByRole('textbox', { name: 'Message' }).inputValue()).toBe(draft);
    await ann.page.keyboard.press('Escape');
    await other.context.close();

    // The phone layout of the same dialog.
    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await bob.page.getByRole('button', { name: 'Settings' }).click();
    await bob.page
      .getByRole('dialog', { name: 'Settings' })
      .getByRole('list', { name: 'Signed-in devices' })
      .locator('li')
      .first()
      .waitFor({ timeout: T });
    await shot(bob, '17-phone-settings');
    await bob.page.keyboard.press('Escape');
    for (const p of [ann, bob]) expect(p.errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
  });

  it('profile: a new display name and photo reach the other side live', async () => {
    await ann.page.getByRole('button', { name: 'Settings' }).click();
    const settings = ann.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Display name').fill('Ann Lee-Park');
    await settings.getByRole('button', { name: 'Save name' }).click();
    await settings.getByText('Name saved').waitFor({ timeout: T });
    await settings
      .locator('input[name=avatar]')
      .setInputFiles([{ name: 'me.png', mimeType: 'image/png', buffer: gradientPng(96, 96) }]);
    await settings.getByText('Photo saved').waitFor({ timeout: T });
    await ann.page.locator('.sidebar-head img.avatar-img').waitFor({ timeout: T });
    await shot(ann, '26-settings-profile');
    await ann.page.keyboard.press('Escape');

    // Bob's phone shows the list since the devices test.
    const row = bob.page.locator('button[data-conversation]', { hasText: 'Ann Lee-Park' });
    await row.waitFor({ timeout: T });
    const photo = row.locator('img.avatar-img');
    await photo.waitFor({ timeout: T });
    await expect
      .poll(() => photo.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), {
        timeout: T,
      })
      .toBe(96);
    await shot(bob, '27-phone-list-avatar');
    for (const p of [ann, bob]) expect(p.errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
  });

  it('group admin: adding a member, a mention that alerts a muted member, an admin, a group photo, an admin delete, edit history, closing the group, a block that survives a reload', async () => {
    const cleo = await httpPerson(cluster.info.url, 'cleo', 'Cleo Diaz');
    await createGroup(ann, 'Release crew', bob);
    const conversationId = await ann.page
      .locator('button[data-conversation][aria-current=true]')
      .getAttribute('data-conversation');

    // Adding a member: a centred system line for everyone.
    await ann.page.getByRole('button', { name: 'Group info' }).click();
    const info = ann.page.getByRole('dialog', { name: 'Group info' });
    // A search that failed once (a token renewal racing it, a loaded box) is typed again.
    const cleoButton = info.getByRole('button', { name: new RegExp(`@${cleo.username}`) });
    await expect
      .poll(
        async () => {
          await info.getByRole('searchbox').fill('');
          await info.getByRole('searchbox').fill(cleo.username);
          return cleoButton.waitFor({ timeout: 3000 }).then(
            () => true,
            () => false,
          );
        },
        { timeout: T },
      )
      .toBe(true);
    await cleoButton.click();
    await info.locator('li', { hasText: 'Cleo Diaz' }).waitFor({ timeout: T });
    await ann.page.keyboard.press('Escape');
    await ann.page
      .getByTestId('system-line')
      .filter({ hasText: 'You added Cleo Diaz' })
      .waitFor({ timeout: T });
    // Online count from presence: Ann and Bob have a browser open, Cleo only speaks HTTP.
    await expect
      .poll(() => ann.page.getByTestId('chat-subtitle').textContent(), { timeout: T })
      .toBe('3 members, 2 online');

    // Bob (phone) mutes the group and goes back to the list.
    const bobRow = bob.page.locator('button[data-conversation]', { hasText: 'Release crew' });
    await bobRow.click();
    await bob.page
      .getByTestId('system-line')
      .filter({ hasText: 'Ann Lee-Park added Cleo Diaz' })
      .waitFor({ timeout: T });
    await bob.page.getByTestId('mute-button').click();
    await bob.page.getByRole('menuitem', { name: 'Until I turn it back on' }).click();
    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await bobRow.getByTestId('muted').waitFor({ timeout: T });
    const bell = bob.page.getByRole('button', { name: /^Notifications/ });
    const unreadBells = async () =>
      Number(/\((\d+) unread\)/.exec((await bell.getAttribute('aria-label')) ?? '')?.[1] ?? 0);
    const bellsBefore = await unreadBells();

    // A mention through the autocomplete: `@bob` + Enter completes the username.
    const box = ann.page.getByRole('textbox', { name: 'Message' });
    await box.click();
    await box.pressSequentially(`Ship it? @${bob.username.slice(0, 3)}`);
    const picker = ann.page.getByRole('listbox', { name: 'Mention someone' });
    await picker.getByRole('option', { name: /Bob Kumar/ }).waitFor({ timeout: T });
    expect(await picker.getByRole('option').count()).toBe(1);
    await shot(ann, '28-mention-autocomplete');
    await box.press('Enter');
    await expect.poll(() => box.inputValue(), { timeout: T }).toBe(`Ship it? @${bob.username} `);
    // Typed at once after the pick: the letters must land after the mention, in order.
    await box.pressSequentially('please check the tickets');
    expect(await box.inputValue()).toBe(`Ship it? @${bob.username} please check the tickets`);
    await box.press('Enter');
    await bubble(ann, 'please check the tickets')
      .locator('mark.mention', { hasText: `@${bob.username}` })
      .waitFor({ timeout: T });

    // Muted, yet alerted: the bell counts it, and the list row shows `@`.
    await bobRow.getByTestId('unread-mention').waitFor({ timeout: T });
    await expect.poll(unreadBells, { timeout: T }).toBe(bellsBefore + 1);
    await shot(bob, '29-phone-mention-badge');
    await bob.page.getByRole('button', { name: /^Notifications/ }).click();
    await bob.page
      .getByRole('dialog', { name: 'Notifications' })
      .locator('li', { hasText: 'Ann Lee-Park mentioned you' })
      .waitFor({ timeout: T });
    await bob.page
      .getByRole('dialog', { name: 'Notifications' })
      .getByRole('button', { name: 'Close' })
      .click();
    await bob.page
      .getByRole('dialog', { name: 'Notifications' })
      .waitFor({ state: 'detached', timeout: T });

    // Promoting an admin (owner only).
    await ann.page.getByRole('button', { name: 'Group info' }).click();
    await info.getByRole('button', { name: 'Make admin Bob Kumar' }).click();
    await info
      .locator('li', { hasText: 'Bob Kumar' })
      .locator('.role', { hasText: 'admin' })
      .waitFor({
        timeout: T,
      });
    await shot(ann, '30-desktop-group-roles');

    // A group photo from an upload (owner/admin): in the dialog, the list rows and a system line.
    await info
      .locator('input[name=groupPhoto]')
      .setInputFiles([{ name: 'crew.png', mimeType: 'image/png', buffer: gradientPng(80, 80) }]);
    await info.locator('.profile-row img.avatar-img').waitFor({ timeout: T });
    await info.getByRole('button', { name: 'Remove photo' }).waitFor({ timeout: T });
    await ann.page.keyboard.press('Escape');
    await ann.page
      .getByTestId('system-line')
      .filter({ hasText: 'You made Bob Kumar an admin' })
      .waitFor({ timeout: T });
    await ann.page
      .getByTestId('system-line')
      .filter({ hasText: 'You changed the group photo' })
      .waitFor({ timeout: T });
    const bobGroupPhoto = bobRow.locator('img.avatar-img');
    await bobGroupPhoto.waitFor({ timeout: T });
    await expect
      .poll(
        () => bobGroupPhoto.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth),
        { timeout: T },
      )
      .toBe(80);
    await ann.page.locator('.chat-head img.avatar-img').waitFor({ timeout: T });
    await shot(ann, '34-desktop-group-photo');

    // Cleo (HTTP) posts twice and edits one of them.
    const post = (text: string) =>
      cleo.call<{ id: string }>('POST', `/api/conversations/${conversationId}/messages`, {
        clientMsgId: `cleo-${text.length}-${Date.now()}`,
        text,
      });
    const wrong = await post('Oops, wrong channel: salary sheet attached');
    const green = await post('Build is green');
    await cleo.call('PATCH', `/api/messages/${green.id}`, { text: 'Build is green on main' });

    // Bob opens the chat: the mention of him stands out, he is an admin now.
    await bobRow.click();
    await bob.page
      .getByTestId('system-line')
      .filter({ hasText: 'Ann Lee-Park made you an admin' })
      .waitFor({ timeout: T });
    await bubble(bob, 'please check the tickets')
      .locator('mark.mention.me')
      .waitFor({ timeout: T });
    await bubble(bob, 'Build is green on main').waitFor({ timeout: T });
    await shot(bob, '31-phone-system-lines-mention');

    // The admin deletes someone else's message for everyone.
    const wrongOnBob = bob.page.locator(`li[data-message-id="${wrong.id}"]`);
    await wrongOnBob.locator('.bubble').hover();
    await wrongOnBob.getByRole('button', { name: 'Delete', exact: true }).click();
    await wrongOnBob.getByRole('menuitem', { name: 'Delete for everyone' }).click();
    await ann.page
      .locator(`li[data-message-id="${wrong.id}"]`, { hasText: 'This message was deleted' })
      .waitFor({ timeout: T });
    await wrongOnBob.getByText('This message was deleted').waitFor({ timeout: T });

    // Edit history: the "edited" label opens the earlier versions.
    await bob.page
      .locator(`li[data-message-id="${green.id}"]`)
      .getByRole('button', { name: /^Edited/ })
      .click();
    const history = bob.page.getByRole('dialog', { name: 'Edit history' });
    await history
      .getByRole('list', { name: 'Earlier versions' })
      .locator('li', { hasText: 'Build is green' })
      .waitFor({ timeout: T });
    await shot(bob, '32-phone-edit-history');
    await bob.page.keyboard.press('Escape');

    // Closing the group (owner): gone from every member's list.
    await ann.page.getByRole('button', { name: 'Group info' }).click();
    await info.getByRole('button', { name: 'Close group' }).click();
    await info.getByRole('button', { name: 'Yes, close group' }).click();
    await ann.page
      .locator('button[data-conversation]', { hasText: 'Release crew' })
      .waitFor({ state: 'detached', timeout: T });
    await bobRow.waitFor({ state: 'detached', timeout: T });

    // Blocking from the direct chat's header: a notice instead of the composer, sends refused.
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await ann.page.getByRole('button', { name: 'Block Bob Kumar' }).click();
    await ann.page.getByTestId('blocked-notice').waitFor({ timeout: T });
    // The server remembers the block: the notice is back after a reload.
    await ann.page.reload();
    await ann.page.locator('button[data-conversation]', { hasText: 'Bob Kumar' }).click();
    await ann.page.getByTestId('blocked-notice').waitFor({ timeout: T });
    expect(await ann.page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await shot(ann, '33-desktop-blocked');
    await bob.page.locator('button[data-conversation]', { hasText: 'Ann Lee-Park' }).click();
    await send(bob, 'Are you there?');
    const refused = bob.page.locator('li.msg.pending', { hasText: 'Are you there?' });
    await refused.locator('.failed-bar').waitFor({ timeout: T });
    await refused.getByRole('button', { name: 'Discard' }).click();
    await ann.page.getByTestId('blocked-notice').getByRole('button', { name: 'Unblock' }).click();
    await ann.page.getByRole('textbox', { name: 'Message' }).waitFor({ timeout: T });
    await send(bob, 'Back in touch');
    await bubble(ann, 'Back in touch').waitFor({ timeout: T });
    for (const p of [ann, bob]) expect(p.errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
  });

  it('serves the API reference at /docs (Swagger UI over the generated OpenAPI document)', async () => {
    const page = await ann.context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${cluster.info.url}/docs`);
    await page.getByText('Chat cluster API').first().waitFor({ timeout: T });
    await page.getByText('/api/conversations/{id}/messages').first().waitFor({ timeout: T });
    await page.screenshot({ path: join(shots, '14-api-docs.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
