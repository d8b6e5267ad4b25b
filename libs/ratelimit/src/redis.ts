// Cluster mode: buckets and ledgers in Redis, so a limit counts every edge's traffic. A bucket is
// one hash updated by one Lua script on the Redis clock (edges' clocks may differ).
// On Redis Cluster (decision 0026) every command and MULTI here touches one key, so one slot.
// Types only at load: ioredis is imported when a limiter connects, so an embedded server never loads it (decision 0035).
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { FailureLedger, RateLimiter, Rule, Verdict } from './types.ts';

// KEYS[1] bucket; ARGV perSec, burst, cost. Returns {ok, retryAfterMs}. A refused take consumes
// nothing; the key expires once the bucket would be full again.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perSec = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'tk', 'ts')
local tokens = burst
if v[1] then
  local elapsed = now - tonumber(v[2])
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(burst, tonumber(v[1]) + elapsed * perSec / 1000)
end
local ok = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  ok = 1
else
  retry = math.ceil((cost - tokens) * 1000 / perSec)
  if retry < 1 then retry = 1 end
end
redis.call('HSET', KEYS[1], 'tk', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / perSec) + 1000)
return {ok, retry}
`;

/** How to reach Redis: the URL and options, or `createClient` for another topology (a Redis Cluster). */
export interface RedisConnectOptions {
  prefix: string;
  redisOptions?: RedisOptions;
  createClient?: (o: RedisOptions) => Redis | Cluster;
}

async function client(url: string, opts: RedisConnectOptions): Promise<Redis | Cluster> {
  // Auto-pipelining: an edge's batch of account charges (one script per account, every 50 ms) leaves
  // in one write instead of one per account (socket writes were a large share of the cluster's CPU).
  const o: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true, ...opts.redisOptions };
  return opts.createClient ? opts.createClient(o) : new (await import('ioredis')).Redis(url, o);
}

type WithTake = (Redis | Cluster) & { parleyTake(key: string, perSec: number, burst: number, cost: number): Promise<[number, number]> };

export class RedisRateLimiter implements RateLimiter {
  private constructor(
    private readonly redis: WithTake,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, opts: RedisConnectOptions): Promise<RedisRateLimiter> {
    const redis = await client(url, opts);
    await redis.connect();
    redis.defineCommand('parleyTake', { numberOfKeys: 1, lua: TAKE });
    return new RedisRateLimiter(redis as WithTake, opts.prefix);
  }

  async take(key: string, rule: Rule, cost = 1): Promise<Verdict> {
    const [ok, retry] = await this.redis.parleyTake(this.prefix + key, rule.perSec, rule.burst, cost);
    return { ok: ok === 1, retryAfterMs: ok === 1 ? 0 : retry };
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export class RedisFailureLedger implements FailureLedger {
  private constructor(
    private readonly redis: Redis | Cluster,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, opts: RedisConnectOptions): Promise<RedisFailureLedger> {
    const redis = await client(url, opts);
    await redis.connect();
    return new RedisFailureLedger(redis, opts.prefix);
  }

  // One MULTI per key (count and expiry together): the keys of one login are in different slots.
  async record(entries: ReadonlyArray<readonly [string, string]>, windowMs: number): Promise<number[]> {
    return Promise.all(
      entries.map(async ([key, field]) => {
        const res = await this.redis.multi().hincrby(this.prefix + key, field, 1).pexpire(this.prefix + key, windowMs).exec();
        const [err, n] = res?.[0] ?? [new Error('MULTI was discarded'), 0];
        if (err) throw err;
        return Number(n);
      }),
    );
  }

  async read(entries: ReadonlyArray<readonly [string, string]>): Promise<number[]> {
    return Promise.all(entries.map(async ([key, field]) => Number((await this.redis.hget(this.prefix + key, field)) ?? 0)));
  }

  async forget(key: string, field?: string): Promise<void> {
    if (field === undefined) await this.redis.del(this.prefix + key);
    else await this.redis.hdel(this.prefix + key, field);
  }

  async lock(key: string, ms: number): Promise<void> {
    await this.redis.set(`${this.prefix}lock:${key}`, '1', 'PX', Math.max(1, Math.ceil(ms)));
  }

  async lockedFor(key: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(`${this.prefix}lock:${key}`));
  }

  async unlock(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}lock:${key}`);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
