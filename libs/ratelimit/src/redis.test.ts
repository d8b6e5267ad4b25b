// Against the machine's real Redis (never skipped), under a random prefix removed afterwards.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { failureLedgerContract, rateLimiterContract } from './contract.ts';
import { RedisFailureLedger, RedisRateLimiter } from './redis.ts';

const URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefixes: string[] = [];
const prefix = () => {
  const p = `parley-test:rl:${randomBytes(6).toString('hex')}:`;
  prefixes.push(p);
  return p;
};

after(async () => {
  const redis = new Redis(URL, { maxRetriesPerRequest: 1 });
  for (const p of prefixes) {
    const keys = await redis.keys(`${p}*`);
    if (keys.length) await redis.del(...keys);
  }
  await redis.quit();
});

rateLimiterContract('redis', () => RedisRateLimiter.connect(URL, { prefix: prefix() }));
failureLedgerContract('redis', () => RedisFailureLedger.connect(URL, { prefix: prefix() }));
