import { type ActorRuntime, actorRuntime } from '@parley/actor';
import type { Subscription } from '@parley/bus';
import { edgeSubject, relaySubject } from '@parley/subjects';
import { emptyStats, type FanoutStats } from './interest.ts';
import { createPresenceHost, type PresenceDeps } from './presence.ts';

export type { FanoutStats, PresenceDeps };
export type PresenceService = ActorRuntime & {
  /** Cost of presence changes so far (the wiring exports them as metrics). */
  fanoutStats(): FanoutStats;
};

/** One wiring function per service (STYLE.md §9): the extension modules come in `deps.modules`. */
export function buildPresenceService(deps: PresenceDeps): PresenceService {
  const stats = emptyStats();
  const runtime = actorRuntime(deps.bus, 'presence', createPresenceHost(deps, stats));
  let relay: Subscription | null = null;
  return {
    ...runtime,
    start(shards) {
      runtime.start(shards);
      // Every presence process relays groups of a wide tree's deliveries (hierarchical fan-out).
      relay = deps.bus.subscribe(
        relaySubject(),
        (m) => {
          if ('kind' in m && m.kind === 'relay') for (const d of m.deliveries) deps.bus.publish(edgeSubject(d.edge), d.msg);
          return undefined;
        },
        { queue: 'presence-relay' },
      );
    },
    stop() {
      relay?.unsubscribe();
      relay = null;
      runtime.stop();
    },
    fanoutStats: () => stats,
  };
}
