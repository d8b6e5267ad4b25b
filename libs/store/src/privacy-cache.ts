// Privacy policies are read for every stanza to an account (XEP-0016/0191/0186 enforcement), and a
// store read per stanza costs more than the rest of the message path together (measured: 10–20× the
// CPU per message in embedded mode). They change rarely, so each process keeps them in memory and
// forgets an owner's entry when it changes: its own writes at once, other processes' writes through
// `evict` (wired to a bus broadcast), and anything after `ttlMs` in case a broadcast was missed.
import type { PrivacyPolicy, PrivacyRepo } from './types.ts';

export interface PrivacyCacheOptions {
  /** Called after every write, with the owner whose policy changed (to tell other processes). */
  onChange?: (owner: string) => void;
  maxEntries?: number;
  ttlMs?: number;
  now?: () => number;
}

export interface CachedPrivacyRepo extends PrivacyRepo {
  /** Forget one owner's cached policy (another process changed it). */
  evict(owner: string): void;
}

/** Policies returned are shared between callers: read them, never change them. */
export function cachedPrivacy(repo: PrivacyRepo, opts: PrivacyCacheOptions = {}): CachedPrivacyRepo {
  const maxEntries = opts.maxEntries ?? 100_000;
  const ttlMs = opts.ttlMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { policy: PrivacyPolicy; at: number }>();
  // Bumped on every eviction, so a read that started before a write does not cache what it read.
  const generation = new Map<string, number>();
  const evict = (owner: string) => {
    entries.delete(owner);
    generation.set(owner, (generation.get(owner) ?? 0) + 1);
    if (generation.size > maxEntries) generation.delete(generation.keys().next().value!);
  };
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
      const t = now();
      for (const o of owners) {
        const e = entries.get(o);
        if (e && t - e.at < ttlMs) out.set(o, e.policy);
        else missing.push(o);
      }
      if (missing.length === 0) return out;
      const gens = missing.map((o) => generation.get(o) ?? 0);
      const fetched = await repo.policies(missing);
      missing.forEach((o, i) => {
        const policy = fetched.get(o);
        if (!policy) return;
        out.set(o, policy);
        if ((generation.get(o) ?? 0) !== gens[i]) return; // changed while we read: do not keep it
        entries.delete(o);
        entries.set(o, { policy, at: t });
        if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      });
      return out;
    },
  };
}
