import { type ActorService, actorService } from '@parley/actor';
import { createPresenceHost, type PresenceDeps } from './presence.ts';

export type PresenceService = ActorService;

/** One wiring function per service (STYLE.md §9). */
export function buildPresenceService(deps: PresenceDeps): PresenceService {
  return actorService(deps.bus, 'presence', createPresenceHost(deps));
}
