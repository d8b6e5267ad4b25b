// Shard ownership for one instance of an actor service (ARCHITECTURE.md, Actors): heartbeat
// membership, compute who should own what, take free shards, renew held ones, hand over shards
// that belong to a newer member, and stop processing a shard before anyone else can own it.
//
// Safety argument: a lease is renewed/acquired with a request sent at local time `t`; the store
// sets its expiry at (store time when executed) + ttl, which is at least `t + ttl` in real time.
// We stop trusting it at `t + ttl - safetyMargin` (monotonic clock), so our local validity always
// ends before the store lets anyone else take the shard. Only clock *rate* matters, not offsets.
import { performance } from 'node:perf_hooks';
import { hashKey, SHARD_COUNT } from '@parley/subjects';
import type { Fence } from './host.ts';
import type { LeaseStore } from './leases.ts';

export type LoseReason = 'handed-over' | 'renew-failed' | 'expired' | 'stopped';

export type AcquireListener = (shard: number, epoch: number) => void;
/** May return a promise: a graceful hand-over waits for it (bounded) before releasing the lease. */
export type LoseListener = (shard: number, reason: LoseReason) => void | Promise<void>;

export interface ShardManagerOptions {
  service: string;
  instanceId: string;
  store: LeaseStore;
  /** Lease and membership time-to-live (default 5000 ms). */
  ttlMs?: number;
  /** Renew and heartbeat period (default ttl/3): a single failed round still leaves time to retry. */
  renewEveryMs?: number;
  /** Stop trusting a lease this long before the store could expire it (default ttl/10). */
  safetyMarginMs?: number;
  shardCount?: number;
  /** How long a graceful hand-over waits for lose listeners to drain before releasing (default renewEvery). */
  drainTimeoutMs?: number;
  onError?: (err: unknown) => void;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
}

interface Held {
  epoch: number;
  /** Local monotonic time after which the lease is no longer trusted. */
  deadline: number;
}

export class ShardManager {
  readonly service: string;
  readonly instanceId: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  private readonly store: LeaseStore;
  private readonly margin: number;
  private readonly shardCount: number;
  private readonly drainTimeoutMs: number;
  private readonly now: () => number;
  private readonly held = new Map<number, Held>();
  private readonly acquireListeners = new Set<AcquireListener>();
  private readonly loseListeners = new Set<LoseListener>();
  private readonly handOvers = new Set<Promise<void>>();
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private chain: Promise<void> = Promise.resolve();
  private tickTimer: NodeJS.Timeout | undefined;
  private guardTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** Shards assigned to us but still held by another member: poll faster to shorten the hand-over. */
  private waiting = false;

  constructor(private readonly opts: ShardManagerOptions) {
    this.service = opts.service;
    this.instanceId = opts.instanceId;
    this.store = opts.store;
    this.ttlMs = opts.ttlMs ?? 5000;
    this.renewEveryMs = opts.renewEveryMs ?? Math.floor(this.ttlMs / 3);
    this.margin = opts.safetyMarginMs ?? Math.ceil(this.ttlMs / 10);
    this.shardCount = opts.shardCount ?? SHARD_COUNT;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? this.renewEveryMs;
    this.now = opts.now ?? (() => performance.now());
    if (this.renewEveryMs * 2 >= this.ttlMs - this.margin) {
      throw new Error('shard leases: renewEveryMs must leave room for a retry before the lease deadline');
    }
  }

  /** Join the service and run the first reconciliation; then keeps going every renewEveryMs. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('shard manager already started');
    this.state = 'running';
    await this.tick();
    this.schedule();
  }

  /**
   * Graceful leave: stop processing every shard (lose listeners, drained up to drainTimeoutMs),
   * release the leases so other members take over at once, and leave the membership.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** Run one reconciliation now (serialized with the periodic ones). */
  tick(): Promise<void> {
    this.chain = this.chain.then(() => this.reconcile()).catch((err) => this.report(err));
    return this.chain;
  }

  onAcquire(fn: AcquireListener): () => void {
    this.acquireListeners.add(fn);
    return () => this.acquireListeners.delete(fn);
  }

  onLose(fn: LoseListener): () => void {
    this.loseListeners.add(fn);
    return () => this.loseListeners.delete(fn);
  }

  /** The ownership proof for `shard`, or undefined if this instance does not hold it. */
  fence(shard: number): Fence | undefined {
    const h = this.held.get(shard);
    if (!h || this.now() >= h.deadline) return undefined;
    const epoch = h.epoch;
    return {
      shard,
      epoch,
      valid: () => {
        const cur = this.held.get(shard);
        return cur !== undefined && cur.epoch === epoch && this.now() < cur.deadline;
      },
    };
  }

  owns(shard: number): boolean {
    return this.fence(shard) !== undefined;
  }

  /** Shards held with a still-trusted lease, with their epochs. */
  owned(): Map<number, number> {
    const t = this.now();
    const out = new Map<number, number>();
    for (const [shard, h] of this.held) if (t < h.deadline) out.set(shard, h.epoch);
    return out;
  }

  private async reconcile(): Promise<void> {
    if (this.state !== 'running') return;
    const { store, service, instanceId: me, ttlMs } = this;

    // 1. Renew everything held, heartbeat and read the members: one store operation (decision 0039).
    const sent = this.now();
    const snapshot = [...this.held].map(([shard, h]) => ({ shard, epoch: h.epoch }));
    const round = await store.round(service, me, snapshot, ttlMs).catch((err) => {
      this.report(err);
      return undefined;
    });
    const renewed = round?.renewed ?? snapshot.map(() => false);
    snapshot.forEach((l, i) => {
      const h = this.held.get(l.shard);
      if (!h || h.epoch !== l.epoch) {
        // Dropped locally while the renewal was in flight (deadline passed): give it back.
        if (renewed[i]) this.releaseQuietly(l.shard, l.epoch);
        return;
      }
      // First failed renewal: stop processing now, while the lease is still ours in the store.
      if (renewed[i]) h.deadline = Math.max(h.deadline, sent + ttlMs - this.margin);
      else void this.drop(l.shard, 'renew-failed');
    });
    this.armGuard();
    // Without an answer the members are unknown too: the next round tries again.
    if (this.state !== 'running' || !round) return;

    // 2. Who should own what, from live members (ourselves included even if the heartbeat lagged).
    const members = round.members;
    if (!members.includes(me)) members.push(me);
    const desired = assignShards(members, this.shardCount);

    // 3. Hand over shards that now belong to another member; they take them on their next round.
    for (const shard of [...this.held.keys()]) {
      if (desired[shard] !== me) this.track(this.handOver(shard, 'handed-over'));
    }

    // 4. Take our shards that nobody holds (free, expired, or our own lease we stopped trusting).
    // The owners are read only when there is one to take: a settled member skips that round trip.
    this.waiting = false;
    const candidates: number[] = [];
    for (let s = 0; s < this.shardCount; s++) if (desired[s] === me && !this.held.has(s)) candidates.push(s);
    if (this.state !== 'running' || candidates.length === 0) return;
    const owners = await store.owners(service);
    const wanted: number[] = [];
    for (const s of candidates) {
      const o = owners.get(s);
      if (!o || o.instance === me) wanted.push(s);
      else this.waiting = true;
    }
    if (wanted.length === 0) return;
    const at = this.now();
    const got = await Promise.all(
      wanted.map((s) =>
        store.acquire(service, s, me, ttlMs).catch((err) => {
          this.report(err);
          return null;
        }),
      ),
    );
    wanted.forEach((shard, i) => {
      const epoch = got[i];
      if (epoch == null) {
        this.waiting = true;
        return;
      }
      if (this.state !== 'running' || this.held.has(shard)) {
        this.releaseQuietly(shard, epoch);
        return;
      }
      this.held.set(shard, { epoch, deadline: at + ttlMs - this.margin });
      for (const fn of this.acquireListeners) {
        try {
          fn(shard, epoch);
        } catch (err) {
          this.report(err);
        }
      }
    });
    this.armGuard();
  }

  /** Forget the lease locally first (fences turn invalid at once), then tell the listeners. */
  private drop(shard: number, reason: LoseReason): Promise<void> {
    if (!this.held.delete(shard)) return Promise.resolve();
    const waits: Array<void | Promise<void>> = [];
    for (const fn of this.loseListeners) {
      try {
        waits.push(fn(shard, reason));
      } catch (err) {
        this.report(err);
      }
    }
    return Promise.allSettled(waits).then(() => undefined);
  }

  private async handOver(shard: number, reason: LoseReason): Promise<void> {
    const h = this.held.get(shard);
    if (!h) return;
    await bounded(this.drop(shard, reason), this.drainTimeoutMs);
    await bounded(
      this.store.release(this.service, shard, this.instanceId, h.epoch).then(
        () => undefined,
        (err) => this.report(err),
      ),
      this.ttlMs,
    );
  }

  private releaseQuietly(shard: number, epoch: number): void {
    this.store.release(this.service, shard, this.instanceId, epoch).catch((err) => this.report(err));
  }

  private track(p: Promise<void>): void {
    this.handOvers.add(p);
    void p.finally(() => this.handOvers.delete(p));
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    clearTimeout(this.tickTimer);
    clearTimeout(this.guardTimer);
    if (wasRunning) {
      await Promise.all([...[...this.held.keys()].map((s) => this.handOver(s, 'stopped')), ...this.handOvers]);
      await bounded(this.store.leave(this.service, this.instanceId).catch((err) => this.report(err)), this.ttlMs);
    }
    this.state = 'stopped';
  }

  private schedule(): void {
    if (this.state !== 'running') return;
    this.tickTimer = setTimeout(
      () => {
        void this.tick().then(() => this.schedule());
      },
      this.waiting ? Math.ceil(this.renewEveryMs / 4) : this.renewEveryMs,
    );
    this.tickTimer.unref();
  }

  /** A timer at the earliest deadline, so a lease whose renewals hang is dropped on time. */
  private armGuard(): void {
    clearTimeout(this.guardTimer);
    this.guardTimer = undefined;
    let first = Number.POSITIVE_INFINITY;
    for (const h of this.held.values()) first = Math.min(first, h.deadline);
    if (first === Number.POSITIVE_INFINITY) return;
    this.guardTimer = setTimeout(
      () => {
        const t = this.now();
        for (const [shard, h] of [...this.held]) if (t >= h.deadline) void this.drop(shard, 'expired');
        this.armGuard();
      },
      Math.max(0, first - this.now()),
    );
    this.guardTimer.unref();
  }

  private report(err: unknown): void {
    this.opts.onError?.(err);
  }
}

/**
 * The desired owner of each shard: rendezvous (highest random weight) hashing with a load cap of
 * ceil(shards/members), so every member targets ~shards/N and a join or leave moves few shards.
 * Deterministic in the member set, so every instance computes the same answer.
 */
export function assignShards(members: readonly string[], shardCount = SHARD_COUNT): string[] {
  const sorted = [...new Set(members)].sort();
  if (sorted.length === 0) return [];
  const cap = Math.ceil(shardCount / sorted.length);
  const load = new Map<string, number>(sorted.map((m) => [m, 0]));
  const out: string[] = [];
  for (let s = 0; s < shardCount; s++) {
    const ranked = sorted.map((m) => ({ m, w: weight(m, s) })).sort((a, b) => b.w - a.w || (a.m < b.m ? -1 : 1));
    const pick = ranked.find((r) => (load.get(r.m) ?? 0) < cap) ?? ranked[0];
    if (!pick) break;
    out.push(pick.m);
    load.set(pick.m, (load.get(pick.m) ?? 0) + 1);
  }
  return out;
}

function weight(member: string, shard: number): number {
  // FNV-1a alone clusters for near-identical inputs; the murmur3 finalizer spreads the bits.
  let h = hashKey(`${member}\u0000${shard}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function bounded(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((r) => {
    timer = setTimeout(r, ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
