import { serveShards } from '@parley/actor';
import type { Subscription } from '@parley/bus';
import { allShards } from '@parley/subjects';
import type { ActorRequest } from '@parley/wire';
import { defaultExtensions, IqRegistry } from './ext/registry.ts';
import { createSessionHost, type SessionDeps } from './session.ts';

export type { IqExtension, IqOutcome } from './ext/types.ts';
export { IqRegistry } from './ext/registry.ts';

export interface SessionService {
  start(shards?: number[]): void;
  stop(): void;
  mailboxDepth(): number;
}

/** One wiring function per service (STYLE.md §9). */
export function buildSessionService(deps: Omit<SessionDeps, 'iq'> & { version: string; extraFeatures?: string[] }): SessionService {
  const iq = new IqRegistry(defaultExtensions(deps.version), { server: deps.extraFeatures ?? [] });
  const host = createSessionHost({ ...deps, iq });
  let subs: Subscription[] = [];
  return {
    start(shards = allShards()) {
      subs = serveShards(deps.bus, 'session', host, shards);
    },
    stop() {
      for (const s of subs) s.unsubscribe();
      host.stop();
    },
    mailboxDepth: () => host.depth(),
  };
}

export type { ActorRequest };
