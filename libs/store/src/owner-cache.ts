// The in-process cache both per-owner caches share (privacy-cache.ts, archive-prefs-cache.ts): a
// bounded map of what was read for an owner, forgotten after `ttlMs` or when `evict` says the owner
// changed it. Each eviction bumps the owner's generation, so a read that started before a write
// does not keep what it read.

export interface OwnerCacheOptions {
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export class OwnerCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>();
  private readonly generation = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  readonly now: () => number;

  constructor(opts: OwnerCacheOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** The owner's value if read less than `ttlMs` before `at`. */
  fresh(owner: string, at: number): { value: V } | undefined {
    const e = this.entries.get(owner);
    return e && at - e.at < this.ttlMs ? e : undefined;
  }

  /** Taken before reading the store; `keep` refuses a value read across an eviction. */
  ticket(owner: string): number {
    return this.generation.get(owner) ?? 0;
  }

  keep(owner: string, ticket: number, value: V, at: number): void {
    if (this.ticket(owner) !== ticket) return; // changed while we read: do not keep it
    this.entries.delete(owner);
    this.entries.set(owner, { value, at });
    // Map order is insertion order: the first key is the least recently loaded.
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  evict(owner: string): void {
    this.entries.delete(owner);
    this.generation.set(owner, this.ticket(owner) + 1);
    if (this.generation.size > this.maxEntries) this.generation.delete(this.generation.keys().next().value!);
  }
}
