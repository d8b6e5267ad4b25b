import { type ActorService, actorService } from '@parley/actor';
import { defaultExtensions, IqRegistry } from './ext/registry.ts';
import { createSessionHost, type SessionDeps } from './session.ts';

export type { IqExtension, IqOutcome } from './ext/types.ts';
export { IqRegistry } from './ext/registry.ts';

export type SessionService = ActorService;

/** One wiring function per service (STYLE.md §9). */
export function buildSessionService(deps: Omit<SessionDeps, 'iq'> & { version: string; extraFeatures?: string[] }): SessionService {
  const iq = new IqRegistry(defaultExtensions(deps.version), { server: deps.extraFeatures ?? [] });
  return actorService(deps.bus, 'session', createSessionHost({ ...deps, iq }));
}
