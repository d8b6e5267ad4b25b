import { type OwnedShardsServer, serveOwnedShards, serveShards, type ShardManager } from '@parley/actor';
import type { Subscription } from '@parley/bus';
import { allShards } from '@parley/subjects';
import { createPresenceHost, type PresenceDeps } from './presence.ts';

export interface PresenceService {
  /** Serve all shards (embedded mode) or exactly those a lease manager holds (cluster mode). */
  start(shards?: number[] | ShardManager): void;
  stop(): void;
  mailboxDepth(): number;
}

/** One wiring function per service (STYLE.md §9). */
export function buildPresenceService(deps: PresenceDeps): PresenceService {
  const host = createPresenceHost(deps);
  let subs: Subscription[] = [];
  let owned: OwnedShardsServer | null = null;
  return {
    start(shards = allShards()) {
      if (Array.isArray(shards)) subs = serveShards(deps.bus, 'presence', host, shards);
      else owned = serveOwnedShards(deps.bus, 'presence', host, shards);
    },
    stop() {
      for (const s of subs) s.unsubscribe();
      owned?.stop();
      host.stop();
    },
    mailboxDepth: () => host.depth(),
  };
}
