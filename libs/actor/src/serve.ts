import type { Bus, Subscription } from '@parley/bus';
import { type ActorService, actorShardSubject } from '@parley/subjects';
import type { ActorReply, ActorRequest, WireMessage } from '@parley/wire';
import { type ActorHost, MailboxFullError } from './host.ts';

/**
 * Serve actor requests for the given shards of a service from the bus. Each request is handed
 * to the key's actor; the reply acknowledges acceptance (or says why not) so the sender can
 * retry or report `resource-constraint`/`wait` (ARCHITECTURE.md, Actors).
 */
export function serveShards<S>(
  bus: Bus<WireMessage>,
  service: ActorService,
  host: ActorHost<S, ActorRequest, void>,
  shards: number[],
): Subscription[] {
  return shards.map((shard) =>
    bus.subscribe(
      actorShardSubject(service, shard),
      async (msg): Promise<ActorReply> => {
        if (!isActorRequest(msg)) return { ok: false, condition: 'bad-request', text: 'not an actor request' };
        try {
          await host.deliver(msg.key, msg);
          return { ok: true };
        } catch (err) {
          if (err instanceof MailboxFullError) return { ok: false, condition: 'resource-constraint', text: 'busy, retry later' };
          return { ok: false, condition: 'internal-server-error' };
        }
      },
      { queue: `${service}-actors` },
    ),
  );
}

function isActorRequest(m: WireMessage): m is ActorRequest {
  return 'kind' in m && 'key' in m && typeof (m as { key: unknown }).key === 'string';
}
