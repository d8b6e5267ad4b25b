// XEP-0313 §6 preferences are read for both archives of every archived message: two store reads
// per chat message, about a quarter of the embedded path's store time (docs/benchmarks.md). Only
// the owner's prefs IQ (and deleting the account) changes them, so each process keeps them in
// memory, a user without preferences included, and forgets an owner's entry when it changes: its
// own writes at once, other processes' writes through `evict` (wired to a bus broadcast), and
// anything after `ttlMs` in case a broadcast was missed.
import type { ArchivePrefs, ArchiveRepo } from './archive.ts';

export interface ArchivePrefsCacheOptions {
  /** Called after every write, with the owner whose preferences changed (to tell other processes). */
  onChange?: (owner: string) => void;
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export interface CachedArchiveRepo extends ArchiveRepo {
  /** Forget one owner's cached preferences (another process changed them, or the account went). */
  evict(owner: string): void;
}

/** Preferences returned are shared between callers: read them, never change them. */
export function cachedArchivePrefs(repo: ArchiveRepo, opts: ArchivePrefsCacheOptions = {}): CachedArchiveRepo {
  const maxEntries = opts.maxEntries ?? 100_000;
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { prefs: ArchivePrefs | null; at: number }>();
  // Bumped on every eviction, so a read that started before a write does not keep what it read.
  const generation = new Map<string, number>();
  const evict = (owner: string) => {
    entries.delete(owner);
    generation.set(owner, (generation.get(owner) ?? 0) + 1);
    if (generation.size > maxEntries) generation.delete(generation.keys().next().value!);
  };
  return {
    append: (entries) => repo.append(entries),
    query: (q) => repo.query(q),
    retract: (...args) => repo.retract(...args),
    sweep: (before, limit) => repo.sweep(before, limit),
    evict,
    async getPrefs(owner) {
      const t = now();
      const hit = entries.get(owner);
      if (hit && t - hit.at < ttlMs) return hit.prefs;
      const gen = generation.get(owner) ?? 0;
      const prefs = await repo.getPrefs(owner);
      if ((generation.get(owner) ?? 0) !== gen) return prefs; // changed while we read: do not keep it
      entries.delete(owner);
      entries.set(owner, { prefs, at: t });
      // Map order is insertion order: the first key is the least recently loaded.
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      return prefs;
    },
    async setPrefs(owner, prefs) {
      try {
        await repo.setPrefs(owner, prefs);
      } finally {
        evict(owner);
        opts.onChange?.(owner);
      }
    },
  };
}
