// Every process keeps archive preferences in memory (libs/store archive-prefs-cache.ts) and tells
// the others over the bus when it changed one, so they forget their copy. In embedded mode the bus
// is in-process. Deleting an account deletes its preferences: that forgets them as well.
import type { Bus } from '@parley/bus';
import { cachedArchivePrefs, type Store } from '@parley/store';
import { controlSubject } from '@parley/subjects';
import type { WireMessage } from '@parley/wire';

/** Replaces `store.archive` with the cached repository; returns the unsubscribe. */
export function shareCachedArchivePrefs(store: Store, bus: Bus<WireMessage>): () => void {
  const subject = controlSubject('archive-prefs');
  const changed = (owner: string) => bus.publish(subject, { kind: 'archive-prefs-changed', owner });
  const cached = cachedArchivePrefs(store.archive, { onChange: changed });
  store.archive = cached;
  const users = store.users;
  const deleteUser = users.delete.bind(users);
  users.delete = async (username, domain) => {
    try {
      return await deleteUser(username, domain);
    } finally {
      cached.evict(`${username}@${domain}`);
      changed(`${username}@${domain}`);
    }
  };
  const sub = bus.subscribe(subject, (m) => {
    if ('kind' in m && m.kind === 'archive-prefs-changed') cached.evict(m.owner);
    return undefined;
  });
  return () => sub.unsubscribe();
}
