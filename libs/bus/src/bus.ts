// The bus between services. Embedded mode: in-process; cluster mode: NATS. Same interface,
// one contract test suite for both (ARCHITECTURE.md, Processes).

export interface BusError extends Error {
  code: 'no-responders' | 'timeout' | 'closed' | 'handler-failed';
}

export function busError(code: BusError['code'], message: string): BusError {
  return Object.assign(new Error(message), { code }) as BusError;
}

/**
 * A handler receives a message; for a request its resolved value is the reply.
 * Returning undefined to a request is a programming error reported as `handler-failed`.
 */
export type BusHandler<T> = (msg: T, subject: string) => T | undefined | Promise<T | undefined>;

export interface Subscription {
  unsubscribe(): void;
}

export interface Bus<T> {
  /** Fire-and-forget; ordered per publisher and subject. */
  publish(subject: string, msg: T): void;
  /** Request/reply; rejects with a BusError (`no-responders`, `timeout`, `closed`, `handler-failed`). */
  request(subject: string, msg: T, opts?: { timeoutMs?: number }): Promise<T>;
  /** With `queue`, each message goes to one subscriber of the group (load sharing). */
  subscribe(subject: string, handler: BusHandler<T>, opts?: { queue?: string }): Subscription;
  /** Resolves when everything published so far has been handed to subscribers. */
  flush(): Promise<void>;
  /**
   * Called each time the connection came back after a loss, once the server has every subscription
   * of this process again. Messages published to this process meanwhile, and publishes of its own
   * that were on the dead connection, may be gone: the bus is at-most-once (NATS core), so callers
   * that must not lose something re-synchronise here. Returns a function that removes the listener.
   */
  onReconnect(listener: () => void): () => void;
  close(): Promise<void>;
}
