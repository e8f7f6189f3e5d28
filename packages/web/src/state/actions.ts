import { newClientMsgId, type Message } from '@chat/client';
import type { ReplyPreview } from './types.js';
import { describeError, type ChatStore } from './chat-store.js';
import type { PendingMessage, UploadItem } from './types.js';
import { uploadWithProgress } from './upload.js';

/** Sends a message with an optimistic copy that the acked/echoed one replaces (matched by clientMsgId). */
export async function sendMessage(
  store: ChatStore,
  conversationId: string,
  text: string,
  replyTo?: ReplyPreview,
): Promise<void> {
  const chat = store.chat;
  if (!chat) return;
  const staged = store.state.uploads[conversationId] ?? [];
  if (staged.some((u) => !u.attachment && !u.error)) {
    store.toast('Wait for the upload to finish');
    return;
  }
  const attachments = staged.flatMap((u) => (u.attachment ? [u.attachment] : []));
  const trimmed = text.trim();
  if (!trimmed && attachments.length === 0) return;
  const pending: PendingMessage = {
    clientMsgId: newClientMsgId(),
    conversationId,
    attachments,
    status: 'pending',
    createdAt: new Date().toISOString(),
    ...(trimmed ? { text: trimmed } : {}),
    ...(replyTo ? { replyTo } : {}),
  };
  store.noteSent();
  store.set((s) => ({
    pending: { ...s.pending, [conversationId]: [...(s.pending[conversationId] ?? []), pending] },
    uploads: { ...s.uploads, [conversationId]: [] },
  }));
  await deliverPending(store, pending);
}

export async function deliverPending(store: ChatStore, pending: PendingMessage): Promise<void> {
  const { conversationId, clientMsgId } = pending;
  setPendingStatus(store, pending, 'pending');
  try {
    // The SDK retries with the same clientMsgId across reconnects; the echo arrives as `message`.
    const message = await store.chat!.send({
      conversationId,
      clientMsgId,
      ...(pending.text ? { text: pending.text } : {}),
      ...(pending.attachments.length
        ? { attachmentIds: pending.attachments.map((a) => a.id) }
        : {}),
      ...(pending.replyTo ? { replyToId: pending.replyTo.id } : {}),
    });
    store.receive(message);
  } catch (err) {
    setPendingStatus(store, pending, 'failed', describeError(err));
  }
}

function setPendingStatus(
  store: ChatStore,
  p: PendingMessage,
  status: PendingMessage['status'],
  error?: string,
): void {
  store.set((s) => ({
    pending: {
      ...s.pending,
      [p.conversationId]: (s.pending[p.conversationId] ?? []).map((x) =>
        x.clientMsgId === p.clientMsgId ? { ...x, status, ...(error ? { error } : {}) } : x,
      ),
    },
  }));
}

export function discardPending(store: ChatStore, p: PendingMessage): void {
  store.set((s) => ({
    pending: {
      ...s.pending,
      [p.conversationId]: (s.pending[p.conversationId] ?? []).filter(
        (x) => x.clientMsgId !== p.clientMsgId,
      ),
    },
  }));
}

async function attempt<T>(store: ChatStore, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (err) {
    store.toast(describeError(err));
    return undefined;
  }
}

export async function editMessage(store: ChatStore, m: Message, text: string): Promise<void> {
  const trimmed = text.trim();
  if (!trimmed || trimmed === m.text) return;
  await attempt(store, () =>
    store.chat!.request('message:edit', { messageId: m.id, text: trimmed }),
  );
}

export async function deleteMessage(
  store: ChatStore,
  m: Message,
  scope: 'me' | 'everyone',
): Promise<void> {
  const ok = await attempt(store, () =>
    store.chat!.request('message:delete', { messageId: m.id, scope }),
  );
  if (ok && scope === 'me') {
    store.set((s) => {
      const list = s.messages[m.conversationId];
      return list
        ? {
            messages: {
              ...s.messages,
              [m.conversationId]: { ...list, items: list.items.filter((x) => x.id !== m.id) },
            },
          }
        : {};
    });
  }
}

export async function toggleReaction(store: ChatStore, m: Message, emoji: string): Promise<void> {
  const me = store.state.me?.id ?? '';
  const mine = m.reactions.some((r) => r.emoji === emoji && r.userIds.includes(me));
  await attempt(store, () =>
    store.chat!.request('message:react', { messageId: m.id, emoji, op: mine ? 'remove' : 'add' }),
  );
}

/** typing:start at most every 3 s while keys are pressed; typing:stop after 3 s idle or on send. */
export function createTypingNotifier(
  store: ChatStore,
  conversationId: string,
): { input(): void; stop(): void } {
  let lastStart = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    if (lastStart === 0) return;
    lastStart = 0;
    store.chat?.request('typing:stop', { conversationId }).catch(() => undefined);
  };
  return {
    input() {
      const now = Date.now();
      if (now - lastStart > 3000) {
        lastStart = now;
        store.chat?.request('typing:start', { conversationId }).catch(() => undefined);
      }
      if (idle) clearTimeout(idle);
      idle = setTimeout(stop, 3000);
    },
    stop,
  };
}

const PREVIEW_MAX_BYTES = 8 * 1024 * 1024;

export function stageUploads(
  store: ChatStore,
  conversationId: string,
  files: readonly File[],
): void {
  const token = store.http.token;
  if (!token) return;
  for (const file of files) {
    const item: UploadItem = {
      localId: newClientMsgId(),
      name: file.name,
      size: file.size,
      progress: 0,
    };
    const patch = (change: Partial<UploadItem>) =>
      store.set((s) => ({
        uploads: {
          ...s.uploads,
          [conversationId]: (s.uploads[conversationId] ?? []).map((u) =>
            u.localId === item.localId ? { ...u, ...change } : u,
          ),
        },
      }));
    store.set((s) => ({
      uploads: { ...s.uploads, [conversationId]: [...(s.uploads[conversationId] ?? []), item] },
    }));
    // A data: URL, not blob:, which the gateway's Content-Security-Policy (img-src 'self' data:) refuses.
    if (file.type.startsWith('image/') && file.size <= PREVIEW_MAX_BYTES) {
      const reader = new FileReader();
      reader.onload = () => {
        if (typeof reader.result === 'string') patch({ previewUrl: reader.result });
      };
      reader.readAsDataURL(file);
    }
    uploadWithProgress(file, token, (progress) => patch({ progress })).then(
      (attachment) => patch({ attachment, progress: 1 }),
      (err: unknown) => patch({ error: describeError(err) }),
    );
  }
}

export function unstageUpload(store: ChatStore, conversationId: string, localId: string): void {
  store.set((s) => ({
    uploads: {
      ...s.uploads,
      [conversationId]: (s.uploads[conversationId] ?? []).filter((u) => u.localId !== localId),
    },
  }));
}
