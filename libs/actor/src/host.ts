// Actors: a key (bare JID or room JID) plus a handler; one message at a time per key, in order;
// bounded mailboxes; state is a cache rebuilt by `activate` (ARCHITECTURE.md, Actors).

export class MailboxFullError extends Error {
  readonly condition = 'resource-constraint';
  constructor(key: string) {
    super(`mailbox full for ${key}`);
  }
}

/** A message waited in its mailbox longer than `maxWaitMs`: refused at its turn, nothing done. */
export class WaitedTooLongError extends Error {
  readonly condition = 'resource-constraint';
  constructor(key: string, waitedMs: number) {
    super(`waited ${Math.round(waitedMs / 1000)} s for ${key}`);
  }
}

/** Reply condition telling the sender to retry: the shard is changing owner. */
export const MOVED_CONDITION = 'moved';

/** Raised for a message whose shard this instance no longer owns; the sender retries elsewhere. */
export class ShardMovedError extends Error {
  readonly condition = MOVED_CONDITION;
  constructor(readonly shard: number) {
    super(`shard ${shard} moved to another instance`);
  }
}

/** Reply condition telling the sender to retry later: the actor could not route yet and did nothing. */
export const RECOVERING_CONDITION = 'recovering';

/**
 * Raised by a handler before any side effect when routing cannot be decided yet (the location
 * service is rebuilding after losing its data): the sender holds the stanza and retries within its
 * budget, then answers `<resource-constraint/>` (wait). Not a failure of the actor.
 */
export class RoutingRecoveringError extends Error {
  readonly condition = RECOVERING_CONDITION;
  constructor(what = 'routing is recovering') {
    super(what);
  }
}

/**
 * Proof of shard ownership taken when a message was accepted. `valid()` is false as soon as the
 * lease is lost or its local deadline passes; check it right before committing side effects and
 * write `epoch` next to durable state so a store can refuse a stale owner.
 */
export interface Fence {
  readonly shard: number;
  readonly epoch: number;
  valid(): boolean;
}

export interface HandleContext {
  /** Set when the message was delivered for an owned shard (`serveOwnedShards`). */
  fence?: Fence;
}

export interface ActorBehaviour<S, M, R> {
  /** Build the actor's in-memory state (from the store); called on first message after idle. */
  activate(key: string): Promise<S>;
  /** Handle one message; never called concurrently for the same key. */
  handle(state: S, msg: M, key: string, ctx: HandleContext): Promise<R>;
}

export interface ActorHostOptions {
  /** Messages waiting per key before new ones are refused (default 1000). */
  maxMailbox?: number;
  /** Messages one sender's lane may hold in one mailbox (default a quarter of maxMailbox). */
  maxLane?: number;
  /**
   * A message still waiting this long when its turn comes is refused with WaitedTooLongError
   * instead of handled (default 2 minutes): its sender has been told to wait, not forever.
   */
  maxWaitMs?: number;
  /** Deactivate an actor idle this long (default 5 minutes); its state is rebuilt on demand. */
  idleMs?: number;
  onError?: (err: unknown, key: string) => void;
}

interface Item<M, R> {
  msg: M;
  at: number;
  fence: Fence | undefined;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * A mailbox with one FIFO lane per sender, served round-robin (flood isolation, docs/security.md):
 * a flooder's messages wait behind its own, not behind everyone else's, and one lane may hold at
 * most a share of the mailbox. Order holds within a lane; messages of different senders have no
 * order to keep.
 */
class LaneQueue<M, R> {
  private readonly lanes = new Map<string, Item<M, R>[]>();
  /** Lanes with messages, in serving order. */
  private ring: string[] = [];
  private head = 0;
  length = 0;

  laneLength(lane: string): number {
    return this.lanes.get(lane)?.length ?? 0;
  }

  push(lane: string, item: Item<M, R>): void {
    let q = this.lanes.get(lane);
    if (!q) {
      q = [];
      this.lanes.set(lane, q);
      this.ring.push(lane);
    }
    q.push(item);
    this.length++;
  }

  shift(): Item<M, R> | undefined {
    if (this.length === 0) return undefined;
    if (this.head >= this.ring.length) this.head = 0;
    const lane = this.ring[this.head]!;
    const q = this.lanes.get(lane)!;
    const item = q.shift()!;
    this.length--;
    if (q.length === 0) {
      this.lanes.delete(lane);
      this.ring.splice(this.head, 1);
    } else this.head++;
    return item;
  }

  drain(): Item<M, R>[] {
    const out: Item<M, R>[] = [];
    for (let it = this.shift(); it; it = this.shift()) out.push(it);
    this.ring = [];
    this.head = 0;
    return out;
  }
}

interface Activation<S, M, R> {
  state: S | undefined;
  queue: LaneQueue<M, R>;
  running: boolean;
  lastUsed: number;
}

export class ActorHost<S, M, R> {
  private readonly actors = new Map<string, Activation<S, M, R>>();
  private readonly maxMailbox: number;
  private readonly maxLane: number;
  private readonly idleMs: number;
  private readonly maxWaitMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private pending = 0;

  constructor(
    private readonly behaviour: ActorBehaviour<S, M, R>,
    private readonly opts: ActorHostOptions = {},
  ) {
    this.maxMailbox = opts.maxMailbox ?? 1000;
    this.maxLane = opts.maxLane ?? Math.max(1, Math.floor(this.maxMailbox / 4));
    this.idleMs = opts.idleMs ?? 300_000;
    this.maxWaitMs = opts.maxWaitMs ?? 120_000;
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.idleMs, 60_000));
    this.sweeper.unref();
  }

  /**
   * Queue `msg` for `key`; resolves with the handler's result, in order per key. With a `fence`,
   * the message is refused with ShardMovedError instead of handled if the fence is no longer valid
   * when its turn comes. `lane` names the sender: lanes are served in turn (default: one lane).
   */
  deliver(key: string, msg: M, opts: { fence?: Fence; lane?: string } = {}): Promise<R> {
    let a = this.actors.get(key);
    if (!a) {
      a = { state: undefined, queue: new LaneQueue<M, R>(), running: false, lastUsed: Date.now() };
      this.actors.set(key, a);
    }
    const lane = opts.lane ?? '';
    if (a.queue.length >= this.maxMailbox || (lane !== '' && a.queue.laneLength(lane) >= this.maxLane)) return Promise.reject(new MailboxFullError(key));
    const act = a;
    const p = new Promise<R>((resolve, reject) => act.queue.push(lane, { msg, at: Date.now(), fence: opts.fence, resolve, reject }));
    this.pending++;
    if (!act.running) void this.run(key, act);
    return p;
  }

  /** Messages queued or running across all actors (the mailbox-depth metric). */
  depth(): number {
    return this.pending;
  }

  activeCount(): number {
    return this.actors.size;
  }

  /** The states of the actors activated now (for gauges computed from actor state). */
  *states(): IterableIterator<S> {
    for (const a of this.actors.values()) if (a.state !== undefined) yield a.state;
  }

  /**
   * Refuse every queued (not yet running) message of the matching keys with `reason()` and drop
   * their cached state: used when a shard is lost, so senders retry at the new owner at once
   * instead of waiting, and a later re-acquisition rebuilds state from the store. Returns how
   * many messages were refused.
   */
  evict(match: (key: string) => boolean, reason: () => Error): number {
    let refused = 0;
    for (const [key, a] of this.actors) {
      if (!match(key)) continue;
      const waiting = a.queue.drain();
      for (const item of waiting) item.reject(reason());
      refused += waiting.length;
      this.pending -= waiting.length;
      a.state = undefined;
      if (!a.running) this.actors.delete(key);
    }
    return refused;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private async run(key: string, a: Activation<S, M, R>): Promise<void> {
    a.running = true;
    for (let item = a.queue.shift(); item; item = a.queue.shift()) {
      try {
        if (item.fence && !item.fence.valid()) throw new ShardMovedError(item.fence.shard);
        const waited = Date.now() - item.at;
        if (waited > this.maxWaitMs) throw new WaitedTooLongError(key, waited);
        if (a.state === undefined) a.state = await this.behaviour.activate(key);
        item.resolve(await this.behaviour.handle(a.state, item.msg, key, { fence: item.fence }));
      } catch (err) {
        // A failed message must not poison the actor: drop the cache, report, go on. A moved
        // shard or a retry later is not a failure of this actor and says nothing about its state.
        if (!(err instanceof ShardMovedError || err instanceof RoutingRecoveringError || err instanceof WaitedTooLongError)) {
          a.state = undefined;
          this.opts.onError?.(err, key);
        }
        item.reject(err);
      } finally {
        this.pending--;
      }
    }
    a.running = false;
    a.lastUsed = Date.now();
  }

  private sweep(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [key, a] of this.actors) {
      if (!a.running && a.queue.length === 0 && a.lastUsed < cutoff) this.actors.delete(key);
    }
  }
}
