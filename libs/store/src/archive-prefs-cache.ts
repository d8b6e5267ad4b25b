// XEP-0313 §6 preferences are read for both archives of every archived message: two store reads
// per chat message, about a quarter of the embedded path's store time (docs/benchmarks.md). Only
// the owner's prefs IQ (and deleting the account) changes them, so each process keeps them in
// memory, a user without preferences included, and forgets an owner's entry when it changes: its
// own writes at once, other processes' writes through `evict` (wired to a bus broadcast), and
// anything after `ttlMs` in case a broadcast was missed.
import type { ArchivePrefs, ArchiveRepo } from './archive.ts';
import { OwnerCache, type OwnerCacheOptions } from './owner-cache.ts';

export interface ArchivePrefsCacheOptions extends OwnerCacheOptions {
  /** Called after every write, with the owner whose preferences changed (to tell other processes). */
  onChange?: (owner: string) => void;
}

export interface CachedArchiveRepo extends ArchiveRepo {
  /** Forget one owner's cached preferences (another process changed them, or the account went). */
  evict(owner: string): void;
}

/** Preferences returned are shared between callers: read them, never change them. */
export function cachedArchivePrefs(repo: ArchiveRepo, opts: ArchivePrefsCacheOptions = {}): CachedArchiveRepo {
  const cache = new OwnerCache<ArchivePrefs | null>(opts);
  const evict = (owner: string) => cache.evict(owner);
  return {
    append: (entries) => repo.append(entries),
    query: (q) => repo.query(q),
    retract: (...args) => repo.retract(...args),
    sweep: (before, limit) => repo.sweep(before, limit),
    evict,
    async getPrefs(owner) {
      const t = cache.now();
      const hit = cache.fresh(owner, t);
      if (hit) return hit.value;
      const ticket = cache.ticket(owner);
      const prefs = await repo.getPrefs(owner);
      cache.keep(owner, ticket, prefs, t);
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
