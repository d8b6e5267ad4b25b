// Every process keeps privacy policies in memory (libs/store privacy-cache.ts) and tells the others
// over the bus when it changed one, so they forget their copy. In embedded mode the bus is in-process.
import type { Bus } from '@parley/bus';
import { cachedPrivacy, type Store } from '@parley/store';
import { controlSubject } from '@parley/subjects';
import type { WireMessage } from '@parley/wire';

/** Replaces `store.privacy` with the cached repository; returns the unsubscribe. */
export function shareCachedPrivacy(store: Store, bus: Bus<WireMessage>): () => void {
  const subject = controlSubject('privacy');
  const cached = cachedPrivacy(store.privacy, { onChange: (owner) => bus.publish(subject, { kind: 'privacy-changed', owner }) });
  store.privacy = cached;
  const sub = bus.subscribe(subject, (m) => {
    if ('kind' in m && m.kind === 'privacy-changed') cached.evict(m.owner);
    return undefined;
  });
  return () => sub.unsubscribe();
}
