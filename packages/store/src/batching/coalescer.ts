/**
 * Merges concurrent calls of one operation into batches, so many requests share one MongoDB
 * command. On the machines this runs on the driver costs 200–400 µs of CPU per command and a
 * few µs per document (docs/SCALING.md), so the number of commands, not of documents, is what a
 * chat message pays for.
 *
 * Dispatch is adaptive, like Nagle's algorithm without its timer: while fewer than
 * `maxInFlight` batches are running, calls go out at the end of the current event-loop turn
 * (collecting the calls made in the same turn); otherwise they wait for a running batch to
 * finish and go out together. At low load nothing waits for a batch to fill; under load the
 * batches grow with the load.
 */
export interface CoalescerOptions {
  /** Calls per batch at most. @default 100 */
  maxBatch?: number;
  /**
   * Batches running at once; more calls queue. One keeps batches largest (a call waits at most
   * one command's round trip), which is what a CPU-bound node needs. @default 1
   */
  maxInFlight?: number;
}

/**
 * Runs one batch. Returns one settled result per input, in input order: a per-item failure
 * (e.g. a duplicate key) rejects only that caller. Throwing rejects every caller of the batch.
 */
export type BatchRunner<In, Out> = (
  batch: readonly In[],
) => Promise<ReadonlyArray<PromiseSettledResult<Out>>>;

interface Pending<In, Out> {
  input: In;
  resolve: (value: Out) => void;
  reject: (reason: unknown) => void;
}

export function createCoalescer<In, Out>(
  run: BatchRunner<In, Out>,
  options: CoalescerOptions = {},
): (input: In) => Promise<Out> {
  const maxBatch = options.maxBatch ?? 100;
  const maxInFlight = options.maxInFlight ?? 1;
  let queue: Pending<In, Out>[] = [];
  let inFlight = 0;
  let scheduled = false;

  function schedule(): void {
    if (scheduled || inFlight >= maxInFlight || queue.length === 0) return;
    scheduled = true;
    setImmediate(dispatch);
  }

  function dispatch(): void {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      inFlight++;
      void execute(batch).finally(() => {
        inFlight--;
        schedule();
      });
    }
  }

  async function execute(batch: Pending<In, Out>[]): Promise<void> {
    let results: ReadonlyArray<PromiseSettledResult<Out>>;
    try {
      results = await run(batch.map((p) => p.input));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const result = results[i];
      if (!result) p.reject(new Error(`batch runner returned no result for item ${i}`));
      else if (result.status === 'fulfilled') p.resolve(result.value);
      else p.reject(result.reason);
    });
  }

  return (input) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      schedule();
    });
}
