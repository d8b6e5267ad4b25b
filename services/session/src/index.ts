import { type ActorRuntime, actorRuntime } from '@parley/actor';
import { createSessionHost, type SessionDeps } from './session.ts';

export type { SessionDeps };
export type SessionService = ActorRuntime;

/** One wiring function per service (STYLE.md §9): the extension modules come in `deps.modules`. */
export function buildSessionService(deps: SessionDeps): SessionService {
  return actorRuntime(deps.bus, 'session', createSessionHost(deps));
}
