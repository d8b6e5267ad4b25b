import type { Bus, Subscription } from '@parley/bus';
import { type ActorService as ActorServiceName, actorShardSubject, allShards, SHARD_COUNT, shardOf } from '@parley/subjects';
import type { ActorReply, ActorRequest, WireMessage } from '@parley/wire';
import { type ActorHost, type Fence, MailboxFullError, MOVED_CONDITION, RECOVERING_CONDITION, RoutingRecoveringError, ShardMovedError, WaitedTooLongError } from './host.ts';
import { RecentIds } from './recent-ids.ts';
import type { ShardManager } from './shards.ts';

/**
 * Reply condition: the actor is alive and the stanza still waits in its mailbox (a busy room, a
 * join burst). The sender asks again with the same id, which attaches to the waiting stanza, and
 * does not count it against its retry budget: a busy actor is backpressure, not a failure.
 */
export const QUEUED_CONDITION = 'queued';

export interface QueuedTiming {
  /** A new hand-off not handled within this long is answered 'queued'. */
  firstMs: number;
  /** A repeated hand-off of a waiting stanza is held this long before 'queued' again. */
  holdMs: number;
}

/** Either is cut to half of what the sender says it waits (`waitMs`; 2 s when it does not say). */
const DEFAULT_WAIT_MS = 2000;

/** 1 s, then every 10 s: a stanza waiting in a mailbox costs its sender one request per 10 s. */
export const QUEUED_TIMING: QueuedTiming = { firstMs: 1000, holdMs: 10_000 };

const OK: ActorReply = { ok: true };
const QUEUED: ActorReply = { ok: false, condition: QUEUED_CONDITION, text: 'still waiting in the mailbox' };

export interface ServeOptions {
  /** Remembers handled stanza ids so a retried hand-off is acknowledged, not processed twice. */
  recent?: RecentIds<ActorReply>;
  queued?: QueuedTiming;
}

/**
 * Hand one request to its actor. The reply comes once the actor handled it (decision 0007: the
 * acknowledgement is the actor's acceptance), or says 'queued' while it waits: stanzas carry an id,
 * so their retries attach to the waiting run instead of running twice.
 */
function handOff<S>(host: ActorHost<S, ActorRequest, void>, msg: ActorRequest, fence: Fence | undefined, recent: RecentIds<ActorReply>, timing: QueuedTiming, track: (p: Promise<ActorReply>) => void): Promise<ActorReply> {
  const run = () => {
    const p = host.deliver(msg.key, msg, { fence, lane: laneOf(msg) }).then(
      () => OK,
      (err: unknown) => (err instanceof ShardMovedError ? MOVED : failureReply(err)),
    );
    track(p);
    return p;
  };
  if (msg.kind !== 'stanza' || msg.id === undefined) return run();
  // Stanza ids are chosen by clients, so they are only unique per sender.
  const id = `${msg.key}\u0000${msg.origin?.jid ?? ''}\u0000${msg.id}`;
  const half = (msg.waitMs ?? DEFAULT_WAIT_MS) / 2;
  const waiting = recent.pending(id);
  if (waiting) return notLongerThan(waiting, Math.min(timing.holdMs, half));
  return notLongerThan(
    recent.once(id, run, (r) => r.ok),
    Math.min(timing.firstMs, half),
  );
}

function notLongerThan(p: Promise<ActorReply>, ms: number): Promise<ActorReply> {
  let timer: NodeJS.Timeout | undefined;
  const queued = new Promise<ActorReply>((resolve) => {
    timer = setTimeout(() => resolve(QUEUED), ms);
  });
  return Promise.race([p, queued]).finally(() => clearTimeout(timer));
}

/**
 * Serve actor requests for the given shards of a service from the bus (embedded mode). Each
 * request is handed to the key's actor; the reply acknowledges it (or says why not) so the sender
 * can retry or report `resource-constraint`/`wait` (ARCHITECTURE.md, Actors).
 */
export function serveShards<S>(
  bus: Bus<WireMessage>,
  service: ActorServiceName,
  host: ActorHost<S, ActorRequest, void>,
  shards: number[],
  opts: ServeOptions = {},
): Subscription[] {
  const recent = opts.recent ?? new RecentIds<ActorReply>();
  const timing = opts.queued ?? QUEUED_TIMING;
  return shards.map((shard) =>
    bus.subscribe(
      actorShardSubject(service, shard),
      async (msg): Promise<ActorReply> => {
        if (!isActorRequest(msg)) return { ok: false, condition: 'bad-request', text: 'not an actor request' };
        return handOff(host, msg, undefined, recent, timing, () => undefined);
      },
      { queue: `${service}-actors` },
    ),
  );
}

export type ServeOwnedOptions = ServeOptions;

export interface OwnedShardsServer {
  /** Shards currently subscribed. */
  serving(): number[];
  /** Unsubscribe everything and stop following the manager. */
  stop(): void;
}

const MOVED: ActorReply = { ok: false, condition: MOVED_CONDITION, text: 'shard moved, retry' };

/** What the sender is told when its request failed: overload and "retry later" are not errors of the stanza. */
function failureReply(err: unknown): ActorReply {
  if (err instanceof MailboxFullError) return { ok: false, condition: 'resource-constraint', text: 'too many stanzas are waiting for the same address; try again later' };
  if (err instanceof WaitedTooLongError) return { ok: false, condition: 'resource-constraint', text: 'it waited too long behind other stanzas to the same address; try again later' };
  if (err instanceof RoutingRecoveringError) return { ok: false, condition: RECOVERING_CONDITION, text: err.message };
  // A dependency saturated by load (the store's connection pool, @parley/store) marks its error so:
  // RFC 6120 §8.3.3.18 resource-constraint (type wait), not an internal error.
  if ((err as { condition?: unknown } | null)?.condition === 'resource-constraint') {
    return { ok: false, condition: 'resource-constraint', text: 'the server is too busy to answer now; try again later' };
  }
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
  const timing = opts.queued ?? QUEUED_TIMING;
  const subs = new Map<number, Subscription>();
  const inflight = new Map<number, Set<Promise<unknown>>>();

  const handle = async (shard: number, msg: WireMessage): Promise<ActorReply> => {
    const fence = manager.fence(shard);
    if (!fence) return MOVED;
    if (!isActorRequest(msg)) return { ok: false, condition: 'bad-request', text: 'not an actor request' };
    if (shardOf(msg.key, SHARD_COUNT) !== shard) return { ok: false, condition: 'bad-request', text: 'key of another shard' };
    return handOff(host, msg, fence, recent, timing, (p) => {
      const s = inflight.get(shard) ?? new Set<Promise<unknown>>();
      inflight.set(shard, s);
      s.add(p);
      void p.finally(() => s.delete(p));
    });
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
