import { serveShards } from '@parley/actor';
import type { Subscription } from '@parley/bus';
import { allShards } from '@parley/subjects';
import { createPresenceHost, type PresenceDeps } from './presence.ts';

export interface PresenceService {
  start(shards?: number[]): void;
  stop(): void;
  mailboxDepth(): number;
}

/** One wiring function per service (STYLE.md §9). */
export function buildPresenceService(deps: PresenceDeps): PresenceService {
  const host = createPresenceHost(deps);
  let subs: Subscription[] = [];
  return {
    start(shards = allShards()) {
      subs = serveShards(deps.bus, 'presence', host, shards);
    },
    stop() {
      for (const s of subs) s.unsubscribe();
      host.stop();
    },
    mailboxDepth: () => host.depth(),
  };
}
