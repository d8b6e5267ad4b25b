// Idempotent hand-off (ARCHITECTURE.md, Actors): the edge retries a request with the same stanza
// id until the owning actor acknowledges it, so the actor side must recognise a retry and answer
// it with the first attempt's outcome instead of processing the stanza twice.

export interface RecentIdsOptions {
  /** Most finished ids remembered; the oldest are forgotten first (default 10,000). */
  max?: number;
  /** Forget an id this long after its run finished (default 60 s, longer than any retry series). */
  ttlMs?: number;
  now?: () => number;
}

interface Entry<V> {
  at: number;
  result: Promise<V>;
}

/**
 * A bounded, time-windowed memory of recently handled ids (insertion-ordered Map as the LRU).
 * An id whose run is still going is never forgotten, however long it waits in a busy actor's
 * mailbox: a retry must attach to it rather than run the stanza a second time. Runs going at once
 * are bounded by the actors' mailboxes.
 */
export class RecentIds<V = unknown> {
  private readonly running = new Map<string, Promise<V>>();
  private readonly done = new Map<string, Entry<V>>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: RecentIdsOptions = {}) {
    this.max = opts.max ?? 10_000;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    this.expire();
    return this.running.size + this.done.size;
  }

  has(id: string): boolean {
    this.expire();
    return this.running.has(id) || this.done.has(id);
  }

  /** The result of `id`'s run while it is still going (a retry of a stanza that waits in a mailbox). */
  pending(id: string): Promise<V> | undefined {
    return this.running.get(id);
  }

  /**
   * Run `fn` at most once per id within the window. A duplicate gets the first run's result,
   * waiting for it if it is still running. A result `keep` rejects (or a thrown error) is
   * forgotten, so a retry after a retryable failure runs again.
   */
  once(id: string, fn: () => Promise<V>, keep: (v: V) => boolean = () => true): Promise<V> {
    this.expire();
    const seen = this.running.get(id) ?? this.done.get(id)?.result;
    if (seen) return seen;
    const result = fn();
    this.running.set(id, result);
    result.then(
      (v) => {
        this.running.delete(id);
        if (keep(v)) this.remember(id, result);
      },
      () => this.running.delete(id),
    );
    return result;
  }

  private remember(id: string, result: Promise<V>): void {
    this.done.set(id, { at: this.now(), result });
    while (this.done.size > this.max) {
      const oldest = this.done.keys().next();
      if (oldest.done) break;
      this.done.delete(oldest.value);
    }
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, e] of this.done) {
      if (e.at > cutoff) break;
      this.done.delete(id);
    }
  }
}
