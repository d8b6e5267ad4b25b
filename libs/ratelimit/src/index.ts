export { MemoryFailureLedger, MemoryRateLimiter } from './memory.ts';
export { RedisFailureLedger, RedisRateLimiter } from './redis.ts';
export type { FailureLedger, RateLimiter, Rule, Verdict } from './types.ts';
