import { type ActorRuntime, actorRuntime } from '@parley/actor';
import { createPresenceHost, type PresenceDeps } from './presence.ts';

export type { PresenceDeps };
export type PresenceService = ActorRuntime;

/** One wiring function per service (STYLE.md §9): the extension modules come in `deps.modules`. */
export function buildPresenceService(deps: PresenceDeps): PresenceService {
  return actorRuntime(deps.bus, 'presence', createPresenceHost(deps));
}
