import { type OwnedShardsServer, serveOwnedShards, serveShards, type ShardManager } from '@parley/actor';
import type { Subscription } from '@parley/bus';
import { allShards } from '@parley/subjects';
import type { ActorRequest } from '@parley/wire';
import { defaultExtensions, IqRegistry } from './ext/registry.ts';
import { createSessionHost, type SessionDeps } from './session.ts';

export type { IqExtension, IqOutcome } from './ext/types.ts';
export { IqRegistry } from './ext/registry.ts';

export interface SessionService {
  /** Serve all shards (embedded mode) or exactly those a lease manager holds (cluster mode). */
  start(shards?: number[] | ShardManager): void;
  stop(): void;
  mailboxDepth(): number;
}

/** One wiring function per service (STYLE.md §9). */
export function buildSessionService(deps: Omit<SessionDeps, 'iq'> & { version: string; extraFeatures?: string[] }): SessionService {
  const iq = new IqRegistry(defaultExtensions(deps.version), { server: deps.extraFeatures ?? [] });
  const host = createSessionHost({ ...deps, iq });
  let subs: Subscription[] = [];
  let owned: OwnedShardsServer | null = null;
  return {
    start(shards = allShards()) {
      if (Array.isArray(shards)) subs = serveShards(deps.bus, 'session', host, shards);
      else owned = serveOwnedShards(deps.bus, 'session', host, shards);
    },
    stop() {
      for (const s of subs) s.unsubscribe();
      owned?.stop();
      host.stop();
    },
    mailboxDepth: () => host.depth(),
  };
}

export type { ActorRequest };
