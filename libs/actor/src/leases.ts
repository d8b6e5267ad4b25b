// Shard leases (ARCHITECTURE.md, Actors): an instance owns a shard through a lease carrying a
// fencing epoch. Every ownership change is a compare-and-set judged by the store's own clock, and
// the epoch only ever grows (it survives release), so a stale owner can always be told apart.

export interface LeaseInfo {
  instance: string;
  epoch: number;
  /** Expiry in the store's clock (ms since 1970); only the store compares against it. */
  expiresAt: number;
}

export interface LeaseStore {
  /**
   * Take a shard that is free, expired, or already held by `instanceId`; returns the new epoch
   * (previous epoch + 1) or null while another instance holds a live lease.
   */
  acquire(service: string, shard: number, instanceId: string, ttlMs: number): Promise<number | null>;
  /** Extend a live lease still held at `epoch`; false once it expired or changed hands. */
  renew(service: string, shard: number, instanceId: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Compare-and-delete: give the shard up now so another instance can take it without waiting. */
  release(service: string, shard: number, instanceId: string, epoch: number): Promise<boolean>;
  /** Live (unexpired) leases of a service by shard. */
  owners(service: string): Promise<Map<number, LeaseInfo>>;
  /** Membership heartbeat: `instanceId` counts as a member for `ttlMs` after each call. */
  join(service: string, instanceId: string, ttlMs: number): Promise<void>;
  leave(service: string, instanceId: string): Promise<void>;
  /** Live members, sorted. */
  members(service: string): Promise<string[]>;
  /**
   * A shard manager's periodic round in one store operation: renew each of `held` (as renew()), then
   * heartbeat (join()) and read the live members (members()). `renewed[i]` answers `held[i]`. An idle
   * process pays one round trip per round instead of one per held shard plus two (decision 0039).
   */
  round(service: string, instanceId: string, held: readonly HeldLease[], ttlMs: number): Promise<RoundResult>;
  close(): Promise<void>;
}

export interface HeldLease {
  shard: number;
  epoch: number;
}

export interface RoundResult {
  renewed: boolean[];
  members: string[];
}

interface Slot {
  instance: string;
  epoch: number;
  expiresAt: number;
}

/** In-process leases for embedded mode and tests; same semantics as the Redis store. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, Map<number, Slot>>();
  private readonly memberships = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(service: string, shard: number, instanceId: string, ttlMs: number): Promise<number | null> {
    const t = this.now();
    const shards = this.shardsOf(service);
    const cur = shards.get(shard);
    if (cur && cur.instance !== '' && cur.instance !== instanceId && cur.expiresAt > t) return null;
    const epoch = (cur?.epoch ?? 0) + 1;
    shards.set(shard, { instance: instanceId, epoch, expiresAt: t + ttlMs });
    return epoch;
  }

  async renew(service: string, shard: number, instanceId: string, epoch: number, ttlMs: number): Promise<boolean> {
    const t = this.now();
    const cur = this.shardsOf(service).get(shard);
    if (!cur || cur.instance !== instanceId || cur.epoch !== epoch || cur.expiresAt <= t) return false;
    cur.expiresAt = t + ttlMs;
    return true;
  }

  async release(service: string, shard: number, instanceId: string, epoch: number): Promise<boolean> {
    const cur = this.shardsOf(service).get(shard);
    if (!cur || cur.instance !== instanceId || cur.epoch !== epoch) return false;
    // Keep the epoch: the next owner must get a higher one.
    cur.instance = '';
    cur.expiresAt = 0;
    return true;
  }

  async owners(service: string): Promise<Map<number, LeaseInfo>> {
    const t = this.now();
    const out = new Map<number, LeaseInfo>();
    for (const [shard, s] of this.shardsOf(service)) {
      if (s.instance !== '' && s.expiresAt > t) out.set(shard, { ...s });
    }
    return out;
  }

  async join(service: string, instanceId: string, ttlMs: number): Promise<void> {
    const m = this.memberships.get(service) ?? new Map<string, number>();
    this.memberships.set(service, m);
    m.set(instanceId, this.now() + ttlMs);
  }

  async leave(service: string, instanceId: string): Promise<void> {
    this.memberships.get(service)?.delete(instanceId);
  }

  async members(service: string): Promise<string[]> {
    const t = this.now();
    const m = this.memberships.get(service);
    if (!m) return [];
    for (const [id, exp] of m) if (exp <= t) m.delete(id);
    return [...m.keys()].sort();
  }

  async round(service: string, instanceId: string, held: readonly HeldLease[], ttlMs: number): Promise<RoundResult> {
    const renewed: boolean[] = [];
    for (const l of held) renewed.push(await this.renew(service, l.shard, instanceId, l.epoch, ttlMs));
    await this.join(service, instanceId, ttlMs);
    return { renewed, members: await this.members(service) };
  }

  async close(): Promise<void> {}

  private shardsOf(service: string): Map<number, Slot> {
    const s = this.leases.get(service) ?? new Map<number, Slot>();
    this.leases.set(service, s);
    return s;
  }
}
