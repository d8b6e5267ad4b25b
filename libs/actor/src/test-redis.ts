// Test helper: a RedisLeaseStore under a random key prefix, removed again on close. Fails loudly
// (never skips) when Redis is unreachable: these tests are the proof that cluster leases work.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisLeaseStore } from './redis-leases.ts';

export const TEST_REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function openTestRedisStore(prefix = `parley-test:${randomBytes(6).toString('hex')}:`): Promise<RedisLeaseStore> {
  const store = await RedisLeaseStore.connect(TEST_REDIS_URL, { prefix });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  };
  return store;
}
