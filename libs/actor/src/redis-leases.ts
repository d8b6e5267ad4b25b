// Shard leases on Redis (docs/decisions/0006-shard-leases.md). Each operation is one Lua script, so
// the check and the write are atomic and expiry is judged by the Redis clock alone (never by the
// clocks of the instances). One hash per service holds every shard; every script touches that one
// key, so it runs on Redis Cluster too (decision 0026).
// Types only at load: ioredis is imported by connect(), so an embedded server never loads it (decision 0035).
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { HeldLease, LeaseInfo, LeaseStore, RoundResult } from './leases.ts';

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

// KEYS[1] lease hash; ARGV shard, instance, ttl, seen ('1' when this client saw the hash before).
// Returns epoch or -1.
//
// A hash without `born` is new, or Redis lost it (restart without persistence, failover to a
// replica that missed writes). A client that saw it before knows it is a loss: instances may still
// trust leases of the lost data set until their local deadline (at most one TTL), so nobody may
// acquire for one TTL, and epochs restart above any handed out before (the store clock in ms).
const ACQUIRE = `${NOW}
local s = ARGV[1]
if not redis.call('HGET', KEYS[1], 'born') then
  local open = now
  if ARGV[4] == '1' then
    open = now + tonumber(ARGV[3])
    redis.call('HSET', KEYS[1], 'floor', now)
  end
  redis.call('HSET', KEYS[1], 'born', now, 'open', open)
end
if now < (tonumber(redis.call('HGET', KEYS[1], 'open')) or 0) then return -1 end
local cur = redis.call('HMGET', KEYS[1], s .. ':i', s .. ':e', s .. ':x')
local epoch = tonumber(cur[2]) or tonumber(redis.call('HGET', KEYS[1], 'floor')) or 0
local exp = tonumber(cur[3]) or 0
if cur[1] and cur[1] ~= '' and cur[1] ~= ARGV[2] and exp > now then return -1 end
epoch = epoch + 1
redis.call('HSET', KEYS[1], s .. ':i', ARGV[2], s .. ':e', epoch, s .. ':x', now + tonumber(ARGV[3]))
return epoch`;

// KEYS[1] lease hash; ARGV shard, instance, epoch, ttl. Returns 1 or 0.
const RENEW = `${NOW}
local s = ARGV[1]
local cur = redis.call('HMGET', KEYS[1], s .. ':i', s .. ':e', s .. ':x')
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] or (tonumber(cur[3]) or 0) <= now then return 0 end
redis.call('HSET', KEYS[1], s .. ':x', now + tonumber(ARGV[4]))
return 1`;

// KEYS[1] lease hash; ARGV shard, instance, epoch. The epoch field stays so the next owner's is higher.
const RELEASE = `local s = ARGV[1]
local cur = redis.call('HMGET', KEYS[1], s .. ':i', s .. ':e')
if cur[1] ~= ARGV[2] or cur[2] ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], s .. ':i', '', s .. ':x', 0)
return 1`;

// KEYS[1] lease hash. Returns {now, field, value, ...}; the caller filters with the store's now.
const OWNERS = `${NOW}
local all = redis.call('HGETALL', KEYS[1])
table.insert(all, 1, now)
return all`;

// KEYS[1] members zset (score = expiry); ARGV instance, ttl.
const JOIN = `${NOW}
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1`;

const MEMBERS = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

// KEYS[1] lease hash, KEYS[2] members zset (same hash tag: one slot, decision 0026); ARGV instance,
// ttl, then shard and epoch of each held lease. RENEW for each pair, JOIN, then MEMBERS; returns
// {flags, member, ...} where flags has '1' or '0' per pair, in order.
const ROUND = `${NOW}
local me, ttl = ARGV[1], tonumber(ARGV[2])
local flags = {}
for i = 3, #ARGV - 1, 2 do
  local s = ARGV[i]
  local cur = redis.call('HMGET', KEYS[1], s .. ':i', s .. ':e', s .. ':x')
  if cur[1] ~= me or cur[2] ~= ARGV[i + 1] or (tonumber(cur[3]) or 0) <= now then
    flags[#flags + 1] = '0'
  else
    redis.call('HSET', KEYS[1], s .. ':x', now + ttl)
    flags[#flags + 1] = '1'
  end
end
redis.call('ZADD', KEYS[2], now + ttl, me)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local out = redis.call('ZRANGE', KEYS[2], 0, -1)
table.insert(out, 1, table.concat(flags))
return out`;

interface LeaseCommands {
  leaseAcquire(key: string, shard: number, instance: string, ttl: number, seen: string): Promise<number>;
  leaseRenew(key: string, shard: number, instance: string, epoch: number, ttl: number): Promise<number>;
  leaseRelease(key: string, shard: number, instance: string, epoch: number): Promise<number>;
  leaseOwners(key: string): Promise<Array<string | number>>;
  leaseJoin(key: string, instance: string, ttl: number): Promise<number>;
  leaseMembers(key: string): Promise<string[]>;
  leaseRound(leaseKey: string, membersKey: string, instance: string, ttl: number, ...pairs: number[]): Promise<string[]>;
}

export interface RedisLeaseStoreOptions {
  /** Prefix of every key (default `parley:`); tests use a random one. */
  prefix?: string;
}

export class RedisLeaseStore implements LeaseStore {
  private readonly cmd: LeaseCommands;
  private readonly prefix: string;
  /** Services whose lease hash this client has seen: its disappearance is then a loss, not a first start. */
  private readonly seen = new Set<string>();

  /** Uses `redis` as given; `close()` does not quit it unless the store opened it via `connect`. */
  constructor(
    private readonly redis: Redis | Cluster,
    opts: RedisLeaseStoreOptions = {},
    private readonly owned = false,
  ) {
    this.prefix = opts.prefix ?? 'parley:';
    redis.defineCommand('leaseAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('leaseRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('leaseRelease', { numberOfKeys: 1, lua: RELEASE });
    redis.defineCommand('leaseOwners', { numberOfKeys: 1, lua: OWNERS });
    redis.defineCommand('leaseJoin', { numberOfKeys: 1, lua: JOIN });
    redis.defineCommand('leaseMembers', { numberOfKeys: 1, lua: MEMBERS });
    redis.defineCommand('leaseRound', { numberOfKeys: 2, lua: ROUND });
    this.cmd = redis as unknown as LeaseCommands;
  }

  /** Connect and PING; rejects (does not retry forever) when Redis is unreachable. */
  static async connect(url: string, opts: RedisLeaseStoreOptions & { redisOptions?: RedisOptions; createClient?: (o: RedisOptions) => Redis | Cluster } = {}): Promise<RedisLeaseStore> {
    // Auto-pipelining: a round's renewals (one script per held shard) leave in one write, not one each.
    const o: RedisOptions = { maxRetriesPerRequest: 2, connectTimeout: 2000, enableAutoPipelining: true, ...opts.redisOptions, lazyConnect: true };
    const redis = opts.createClient ? opts.createClient(o) : new (await import('ioredis')).Redis(url, o);
    // Errors surface on commands (renewals fail and shards are dropped); don't print each reconnect.
    redis.on('error', () => {});
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new Error(`shard leases: Redis at ${url.replace(/\/\/[^@/]*@/, '//***@')} is unreachable: ${(err as Error).message}`);
    }
    return new RedisLeaseStore(redis, opts, true);
  }

  async acquire(service: string, shard: number, instanceId: string, ttlMs: number): Promise<number | null> {
    const epoch = Number(await this.cmd.leaseAcquire(this.leaseKey(service), shard, instanceId, Math.ceil(ttlMs), this.seen.has(service) ? '1' : '0'));
    if (epoch <= 0) return null;
    this.seen.add(service);
    return epoch;
  }

  async renew(service: string, shard: number, instanceId: string, epoch: number, ttlMs: number): Promise<boolean> {
    return (await this.cmd.leaseRenew(this.leaseKey(service), shard, instanceId, epoch, Math.ceil(ttlMs))) === 1;
  }

  async release(service: string, shard: number, instanceId: string, epoch: number): Promise<boolean> {
    return (await this.cmd.leaseRelease(this.leaseKey(service), shard, instanceId, epoch)) === 1;
  }

  async owners(service: string): Promise<Map<number, LeaseInfo>> {
    const [now, ...flat] = await this.cmd.leaseOwners(this.leaseKey(service));
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), String(flat[i + 1]));
    if (fields.has('born')) this.seen.add(service);
    const out = new Map<number, LeaseInfo>();
    for (const [field, instance] of fields) {
      if (!field.endsWith(':i') || instance === '') continue;
      const shard = field.slice(0, -2);
      const expiresAt = Number(fields.get(`${shard}:x`));
      if (expiresAt > Number(now)) out.set(Number(shard), { instance, epoch: Number(fields.get(`${shard}:e`)), expiresAt });
    }
    return out;
  }

  async join(service: string, instanceId: string, ttlMs: number): Promise<void> {
    await this.cmd.leaseJoin(this.membersKey(service), instanceId, Math.ceil(ttlMs));
  }

  async leave(service: string, instanceId: string): Promise<void> {
    await this.redis.zrem(this.membersKey(service), instanceId);
  }

  async members(service: string): Promise<string[]> {
    return (await this.cmd.leaseMembers(this.membersKey(service))).sort();
  }

  async round(service: string, instanceId: string, held: readonly HeldLease[], ttlMs: number): Promise<RoundResult> {
    const pairs = held.flatMap((l) => [l.shard, l.epoch]);
    const [flags, ...members] = await this.cmd.leaseRound(this.leaseKey(service), this.membersKey(service), instanceId, Math.ceil(ttlMs), ...pairs);
    if (typeof flags !== 'string' || flags.length !== held.length) throw new Error(`shard leases: round answered ${held.length} renewals with "${flags}"`);
    return { renewed: [...flags].map((f) => f === '1'), members: members.sort() };
  }

  async close(): Promise<void> {
    if (this.owned) await this.redis.quit();
  }

  private leaseKey(service: string): string {
    return `${this.prefix}lease:{${service}}`;
  }

  private membersKey(service: string): string {
    return `${this.prefix}members:{${service}}`;
  }
}
