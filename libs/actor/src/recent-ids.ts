// Idempotent hand-off (ARCHITECTURE.md, Actors): the edge retries a request with the same stanza
// id until the owning actor acknowledges it, so the actor side must recognise a retry and answer
// it with the first attempt's outcome instead of processing the stanza twice.

export interface RecentIdsOptions {
  /** Most ids remembered; the oldest are forgotten first (default 10,000). */
  max?: number;
  /** Forget an id this long after it was first seen (default 60 s, longer than any retry series). */
  ttlMs?: number;
  now?: () => number;
}

interface Entry<V> {
  at: number;
  result: Promise<V>;
}

/** A bounded, time-windowed memory of recently handled ids (insertion-ordered Map as the LRU). */
export class RecentIds<V = unknown> {
  private readonly entries = new Map<string, Entry<V>>();
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
    return this.entries.size;
  }

  has(id: string): boolean {
    this.expire();
    return this.entries.has(id);
  }

  /**
   * Run `fn` at most once per id within the window. A duplicate gets the first run's result,
   * waiting for it if it is still running. A result `keep` rejects (or a thrown error) is
   * forgotten, so a retry after a retryable failure runs again.
   */
  once(id: string, fn: () => Promise<V>, keep: (v: V) => boolean = () => true): Promise<V> {
    this.expire();
    const seen = this.entries.get(id);
    if (seen) return seen.result;
    const result = fn();
    this.entries.set(id, { at: this.now(), result });
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    result.then(
      (v) => {
        if (!keep(v)) this.forget(id, result);
      },
      () => this.forget(id, result),
    );
    return result;
  }

  private forget(id: string, result: Promise<V>): void {
    if (this.entries.get(id)?.result === result) this.entries.delete(id);
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, e] of this.entries) {
      if (e.at > cutoff) break;
      this.entries.delete(id);
    }
  }
}
