import type { SyncAck } from '@chat/protocol';
import { ObjectId } from '@chat/store';
import type { OursTarget } from '../targets/ours.js';

export interface SyncCatchupOptions {
  /** Messages the reconnecting user missed. @default 10_000 */
  missed: number;
  /** Page size of each `sync` call (PROTOCOL max 100). @default 100 */
  pageSize?: number;
  log: (line: string) => void;
}

export interface SyncCatchupResult {
  scenario: 'sync-catchup';
  target: 'ours';
  missed: number;
  pages: number;
  received: number;
  /** From the first `sync` emit to the last page's ack. */
  totalMs: number;
  firstPageMs: number;
  /** Every seq 1..missed arrived once and in order. */
  complete: boolean;
  seedMs: number;
}

/**
 * Scenario 4 (ours only: the reference keeps no history). One user of a direct conversation
 * is offline while its partner's `missed` messages are stored (seeded through the same store
 * calls the gateway's send makes: allocateSeq, then insert); the user then connects and pages
 * through `sync` until hasMore is false.
 */
export async function runSyncCatchup(
  target: OursTarget,
  options: SyncCatchupOptions,
): Promise<SyncCatchupResult> {
  const { log, missed } = options;
  const pageSize = options.pageSize ?? 100;
  const { users, directIds } = await target.prepare({
    users: 2,
    nodeOf: (i) => i,
    directs: [[0, 1]],
    groups: [],
  });
  const [sender, reader] = users as [(typeof users)[0], (typeof users)[0]];
  const conversationId = new ObjectId(directIds[0]);
  const senderId = new ObjectId(sender.userId);
  const seedStart = performance.now();
  let next = 0;
  // Straight into MongoDB, as the gateways store them (nobody else sends here, so the seqs
  // are simply 1..missed; a later send would seed its Redis counter from the highest).
  const writer = async (): Promise<void> => {
    while (next < missed) {
      const seq = ++next;
      const id = new ObjectId();
      const createdAt = new Date();
      const text = `missed message ${seq}`.padEnd(100, '.');
      await target.store.messages.insert({
        _id: id,
        conversationId,
        seq,
        senderId,
        clientMsgId: `seed-${seq}`,
        text,
        createdAt,
      });
      target.store.conversations.recordMessage({
        conversationId,
        preview: { id, seq, senderId, text, kind: 'text', createdAt },
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, writer));
  await target.store.conversations.flushActivity();
  const seedMs = performance.now() - seedStart;
  log(`ours/sync-catchup: ${missed} messages stored in ${(seedMs / 1000).toFixed(1)} s`);

  const socket = await target.connectRaw(reader);
  try {
    let cursor = 0;
    let pages = 0;
    let received = 0;
    let complete = true;
    let firstPageMs = Number.NaN;
    const start = performance.now();
    for (;;) {
      const ack = await new Promise<SyncAck>((resolve, reject) => {
        socket
          .timeout(30_000)
          .emit(
            'sync',
            { cursors: [{ conversationId: directIds[0] ?? '', seq: cursor }], limit: pageSize },
            (err: Error | null, response) => {
              if (err) reject(err);
              else if (!response.ok)
                reject(new Error(`sync failed: ${response.error.code} ${response.error.message}`));
              else resolve(response);
            },
          );
      });
      pages += 1;
      if (pages === 1) firstPageMs = performance.now() - start;
      const page = ack.conversations[0];
      if (!page) throw new Error('sync answered without the conversation');
      for (const message of page.messages) {
        if (message.seq !== cursor + 1) complete = false;
        cursor = message.seq;
        received += 1;
      }
      if (!page.hasMore || page.messages.length === 0) break;
    }
    const totalMs = performance.now() - start;
    complete = complete && received === missed;
    log(
      `  ${received} messages in ${pages} pages, ${totalMs.toFixed(0)} ms (first page ${firstPageMs.toFixed(1)} ms)${complete ? '' : ' INCOMPLETE'}`,
    );
    return {
      scenario: 'sync-catchup',
      target: 'ours',
      missed,
      pages,
      received,
      totalMs,
      firstPageMs,
      complete,
      seedMs,
    };
  } finally {
    socket.close();
  }
}
