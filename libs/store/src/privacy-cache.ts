// Privacy policies are read for every stanza to an account (XEP-0016/0191/0186 enforcement), and a
// store read per stanza costs more than the rest of the message path together (measured: 10–20× the
// CPU per message in embedded mode). They change rarely, so each process keeps them in memory and
// forgets an owner's entry when it changes: its own writes at once, other processes' writes through
// `evict` (wired to a bus broadcast), and anything after `ttlMs` in case a broadcast was missed.
import { OwnerCache, type OwnerCacheOptions } from './owner-cache.ts';
import type { PrivacyPolicy, PrivacyRepo } from './types.ts';

export interface PrivacyCacheOptions extends OwnerCacheOptions {
  /** Called after every write, with the owner whose policy changed (to tell other processes). */
  onChange?: (owner: string) => void;
}

export interface CachedPrivacyRepo extends PrivacyRepo {
  /** Forget one owner's cached policy (another process changed it). */
  evict(owner: string): void;
}

/** Policies returned are shared between callers: read them, never change them. */
export function cachedPrivacy(repo: PrivacyRepo, opts: PrivacyCacheOptions = {}): CachedPrivacyRepo {
  const cache = new OwnerCache<PrivacyPolicy>(opts);
  const evict = (owner: string) => cache.evict(owner);
  const changed = async <T>(owner: string, write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      evict(owner);
      opts.onChange?.(owner);
    }
  };
  return {
    evict,
    names: (owner) => repo.names(owner),
    getList: (owner, name) => repo.getList(owner, name),
    putList: (owner, list) => changed(owner, repo.putList(owner, list)),
    removeList: (owner, name) => changed(owner, repo.removeList(owner, name)),
    setDefault: (owner, name) => changed(owner, repo.setDefault(owner, name)),
    patchSession: (owner, session, patch) => changed(owner, repo.patchSession(owner, session, patch)),
    dropSession: (owner, conn) => changed(owner, repo.dropSession(owner, conn)),
    async policies(owners) {
      const out = new Map<string, PrivacyPolicy>();
      const missing: string[] = [];
      const t = cache.now();
      for (const o of owners) {
        const hit = cache.fresh(o, t);
        if (hit) out.set(o, hit.value);
        else missing.push(o);
      }
      if (missing.length === 0) return out;
      const tickets = missing.map((o) => cache.ticket(o));
      const fetched = await repo.policies(missing);
      missing.forEach((o, i) => {
        const policy = fetched.get(o);
        if (!policy) return;
        out.set(o, policy);
        cache.keep(o, tickets[i]!, policy, t);
      });
      return out;
    },
  };
}
