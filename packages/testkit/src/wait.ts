export interface WaitForOptions {
  /** @default 10_000 */
  timeout?: number;
  /** @default 25 */
  interval?: number;
  /** Names the condition in the timeout error. */
  message?: string;
}

/**
 * Polls `fn` until it returns a truthy value without throwing, and resolves with it.
 * On timeout the error names the condition and carries the last thrown error as cause.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<T> {
  const timeout = options.timeout ?? 10_000;
  const interval = options.interval ?? 25;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = options.message ?? 'condition';
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`waitFor timed out after ${timeout} ms waiting for ${what}${detail}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Node EventEmitter and socket.io-client sockets both fit this shape. */
export interface EventSource {
  // Emitters type their listeners per event; `any` is the only parameter type that
  // every one of those overloads accepts.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  off(event: string, listener: (...args: any[]) => void): unknown;
}

export interface WaitForEventOptions<T> {
  /** @default 10_000 */
  timeout?: number;
  /** Only a payload for which this returns true resolves the wait. */
  filter?: (payload: T) => boolean;
}

/** Resolves with the first payload of `event` (that passes `filter`). */
export function waitForEvent<T = unknown>(
  emitter: EventSource,
  event: string,
  options: WaitForEventOptions<T> = {},
): Promise<T> {
  const timeout = options.timeout ?? 10_000;
  return new Promise<T>((resolve, reject) => {
    const listener = (payload: T): void => {
      if (options.filter && !options.filter(payload)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`waitForEvent timed out after ${timeout} ms waiting for "${event}"`));
    }, timeout);
    emitter.on(event, listener);
  });
}

export interface WaitForHttpOptions {
  /** @default 10_000 */
  timeout?: number;
  /** The status that counts as ready. @default 200 */
  status?: number;
}

/** Polls `url` with GET until it answers with the expected status. */
export async function waitForHttp(url: string, options: WaitForHttpOptions = {}): Promise<void> {
  const expected = options.status ?? 200;
  await waitFor(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status !== expected) throw new Error(`last answer was ${response.status}`);
      return true;
    },
    { timeout: options.timeout ?? 10_000, interval: 50, message: `${url} to answer ${expected}` },
  );
}
