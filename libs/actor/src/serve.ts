import type { Bus, Subscription } from '@parley/bus';
import { type ActorService as ActorServiceName, actorShardSubject, allShards, SHARD_COUNT, shardOf } from '@parley/subjects';
import type { ActorReply, ActorRequest, WireMessage } from '@parley/wire';
import { type ActorHost, MailboxFullError, MOVED_CONDITION, RECOVERING_CONDITION, RoutingRecoveringError, ShardMovedError } from './host.ts';
import { RecentIds } from './recent-ids.ts';
import type { ShardManager } from './shards.ts';

/**
 * Serve actor requests for the given shards of a service from the bus. Each request is handed
 * to the key's actor; the reply acknowledges acceptance (or says why not) so the sender can
 * retry or report `resource-constraint`/`wait` (ARCHITECTURE.md, Actors).
 */
export function serveShards<S>(
  bus: Bus<WireMessage>,
  service: ActorServiceName,
  host: ActorHost<S, ActorRequest, void>,
  shards: number[],
): Subscription[] {
  return shards.map((shard) =>
    bus.subscribe(
      actorShardSubject(service, shard),
      async (msg): Promise<ActorReply> => {
        if (!isActorRequest(msg)) return { ok: false, condition: 'bad-request', text: 'not an actor request' };
        try {
          await host.deliver(msg.key, msg, { lane: laneOf(msg) });
          return { ok: true };
        } catch (err) {
          return failureReply(err);
        }
      },
      { queue: `${service}-actors` },
    ),
  );
}

export interface ServeOwnedOptions {
  /** Remembers handled stanza ids so a retried hand-off is acknowledged, not processed twice. */
  recent?: RecentIds<ActorReply>;
}

export interface OwnedShardsServer {
  /** Shards currently subscribed. */
  serving(): number[];
  /** Unsubscribe everything and stop following the manager. */
  stop(): void;
}

const MOVED: ActorReply = { ok: false, condition: MOVED_CONDITION, text: 'shard moved, retry' };

/** What the sender is told when its request failed: overload and "retry later" are not errors of the stanza. */
function failureReply(err: unknown): ActorReply {
  if (err instanceof MailboxFullError) return { ok: false, condition: 'resource-constraint', text: 'busy, retry later' };
  if (err instanceof RoutingRecoveringError) return { ok: false, condition: RECOVERING_CONDITION, text: err.message };
  return { ok: false, condition: 'internal-server-error' };
}

/**
 * Serve exactly the shards `manager` holds: subscribe when a lease is acquired, unsubscribe when
 * it is lost. On loss, queued messages of the shard are answered 'moved' at once (the sender
 * retries and reaches the new owner) and a graceful hand-over waits for the running ones.
 *
 * The queue group stays: during a hand-over both the old and the new owner may be subscribed
 * for a moment (unsubscribe and subscribe reach the server independently), and with the group a
 * request still goes to only one of them; if that is the old owner it answers 'moved' and the
 * retry reaches the new one. Requests carry `key`, and a key of another shard is refused.
 */
export function serveOwnedShards<S>(
  bus: Bus<WireMessage>,
  service: ActorServiceName,
  host: ActorHost<S, ActorRequest, void>,
  manager: ShardManager,
  opts: ServeOwnedOptions = {},
): OwnedShardsServer {
  const recent = opts.recent ?? new RecentIds<ActorReply>();
  const subs = new Map<number, Subscription>();
  const inflight = new Map<number, Set<Promise<unknown>>>();

  const handle = async (shard: number, msg: WireMessage): Promise<ActorReply> => {
    const fence = manager.fence(shard);
    if (!fence) return MOVED;
    if (!isActorRequest(msg)) return { ok: false, condition: 'bad-request', text: 'not an actor request' };
    if (shardOf(msg.key, SHARD_COUNT) !== shard) return { ok: false, condition: 'bad-request', text: 'key of another shard' };
    const deliver = async (): Promise<ActorReply> => {
      try {
        await host.deliver(msg.key, msg, { fence, lane: laneOf(msg) });
        return { ok: true };
      } catch (err) {
        if (err instanceof ShardMovedError) return MOVED;
        return failureReply(err);
      }
    };
    const run = () => {
      const p = deliver();
      const s = inflight.get(shard) ?? new Set<Promise<unknown>>();
      inflight.set(shard, s);
      s.add(p);
      void p.finally(() => s.delete(p));
      return p;
    };
    // Stanza ids are chosen by clients, so they are only unique per sender.
    if (msg.kind === 'stanza' && msg.id !== undefined) {
      return recent.once(`${msg.key}\u0000${msg.origin?.jid ?? ''}\u0000${msg.id}`, run, (r) => r.ok);
    }
    return run();
  };

  const subscribe = (shard: number) => {
    if (subs.has(shard)) return;
    subs.set(
      shard,
      bus.subscribe(actorShardSubject(service, shard), (msg) => handle(shard, msg), { queue: `${service}-actors` }),
    );
  };

  const offAcquire = manager.onAcquire((shard) => subscribe(shard));
  const offLose = manager.onLose(async (shard) => {
    subs.get(shard)?.unsubscribe();
    subs.delete(shard);
    host.evict(
      (key) => shardOf(key, SHARD_COUNT) === shard,
      () => new ShardMovedError(shard),
    );
    await Promise.allSettled([...(inflight.get(shard) ?? [])]);
  });
  for (const shard of manager.owned().keys()) subscribe(shard);

  return {
    serving: () => [...subs.keys()].sort((a, b) => a - b),
    stop: () => {
      offAcquire();
      offLose();
      for (const sub of subs.values()) sub.unsubscribe();
      subs.clear();
    },
  };
}

function isActorRequest(m: WireMessage): m is ActorRequest {
  return 'kind' in m && 'key' in m && typeof (m as { key: unknown }).key === 'string';
}

/** An actor service's runtime: the handle `buildSessionService`/`buildPresenceService` return. */
export interface ActorRuntime {
  /** Serve all shards (embedded mode) or exactly those a lease manager holds (cluster mode). */
  start(shards?: number[] | ShardManager): void;
  stop(): void;
  mailboxDepth(): number;
}

/**
 * Resolves true once nothing is queued or running in `runtimes` at two checks `pollMs` apart (an
 * actor may hand work to another), false after `timeoutMs`. Shutdown waits for this before it
 * closes the store, so what the actors accepted (a last presence, offline storage) is finished
 * rather than failing on a closed pool.
 */
export async function actorsSettled(runtimes: ActorRuntime[], timeoutMs = 10_000, pollMs = 50): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  let quietChecks = 0;
  while (Date.now() < end) {
    quietChecks = runtimes.every((r) => r.mailboxDepth() === 0) ? quietChecks + 1 : 0;
    if (quietChecks >= 2) return true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return false;
}

export function actorRuntime<S>(bus: Bus<WireMessage>, service: ActorServiceName, host: ActorHost<S, ActorRequest, void>): ActorRuntime {
  let subs: Subscription[] = [];
  let owned: OwnedShardsServer | null = null;
  return {
    start(shards = allShards()) {
      if (Array.isArray(shards)) subs = serveShards(bus, service, host, shards);
      else owned = serveOwnedShards(bus, service, host, shards);
    },
    stop() {
      for (const s of subs) s.unsubscribe();
      owned?.stop();
      host.stop();
    },
    mailboxDepth: () => host.depth(),
  };
}

/**
 * The mailbox lane of a request: the account it comes from (flood isolation). A connection's own
 * stanzas and its resource-gone share the lane of its account, so their order is kept.
 */
export function laneOf(msg: ActorRequest): string {
  switch (msg.kind) {
    case 'stanza':
      return bare(msg.origin?.jid ?? msg.stanza.attr('from') ?? '');
    case 'presence-in':
      return bare(msg.stanza.attr('from') ?? '');
    case 'resource-gone':
      return bare(msg.jid);
    case 'flush-offline':
      return bare(msg.target.jid);
    case 'presence-interest':
      return bare(msg.subscriber.jid);
    default:
      return '';
  }
}

function bare(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
}
