// Cluster mode: buckets and ledgers in Redis, so a limit counts every edge's traffic. A bucket is
// one hash updated by one Lua script on the Redis clock (edges' clocks may differ).
import { Redis, type RedisOptions } from 'ioredis';
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

type WithTake = Redis & { parleyTake(key: string, perSec: number, burst: number, cost: number): Promise<[number, number]> };

export class RedisRateLimiter implements RateLimiter {
  private constructor(
    private readonly redis: WithTake,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, opts: { prefix: string; redisOptions?: RedisOptions }): Promise<RedisRateLimiter> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, ...opts.redisOptions });
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
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async connect(url: string, opts: { prefix: string; redisOptions?: RedisOptions }): Promise<RedisFailureLedger> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, ...opts.redisOptions });
    await redis.connect();
    return new RedisFailureLedger(redis, opts.prefix);
  }

  async record(entries: ReadonlyArray<readonly [string, string]>, windowMs: number): Promise<number[]> {
    const m = this.redis.multi();
    for (const [key, field] of entries) {
      m.hincrby(this.prefix + key, field, 1);
      m.pexpire(this.prefix + key, windowMs);
    }
    const res = (await m.exec()) ?? [];
    return entries.map((_, i) => Number(res[i * 2]?.[1] ?? 0));
  }

  async read(entries: ReadonlyArray<readonly [string, string]>): Promise<number[]> {
    if (entries.length === 0) return [];
    const p = this.redis.pipeline();
    for (const [key, field] of entries) p.hget(this.prefix + key, field);
    const res = (await p.exec()) ?? [];
    return entries.map((_, i) => Number(res[i]?.[1] ?? 0));
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
