/** Handlers keyed by event name; each event's handler type is its signature. */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => void };

/**
 * Minimal typed event emitter (no `node:events`, so the SDK runs in browsers as is).
 * A throwing handler must not break delivery to the others nor the SDK's own state,
 * so errors are caught and passed to `onHandlerError`.
 */
export class Emitter<E extends EventMap<E>> {
  readonly #handlers = new Map<keyof E, Set<E[keyof E]>>();
  readonly #onHandlerError: (error: unknown, event: keyof E) => void;

  constructor(onHandlerError: (error: unknown, event: keyof E) => void) {
    this.#onHandlerError = onHandlerError;
  }

  /** Returns a function that removes the handler. */
  on<K extends keyof E>(event: K, handler: E[K]): () => void {
    let set = this.#handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    set.add(handler);
    return () => this.off(event, handler);
  }

  off<K extends keyof E>(event: K, handler: E[K]): void {
    this.#handlers.get(event)?.delete(handler);
  }

  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.#handlers.get(event);
    if (set === undefined) return;
    for (const handler of [...set]) {
      try {
        (handler as (...a: Parameters<E[K]>) => void)(...args);
      } catch (err) {
        this.#onHandlerError(err, event);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.#handlers.get(event)?.size ?? 0;
  }

  clear(): void {
    this.#handlers.clear();
  }
}
