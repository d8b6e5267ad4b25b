// Shard leases when Redis loses their data (a restart without persistence, a failover to a replica
// that missed writes): nobody may take a shard while a holder of the lost data set can still trust
// its lease, and fencing epochs keep growing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { ShardManager } from './shards.ts';
import { openTestRedisStore, TEST_REDIS_URL } from './test-redis.ts';

async function wipe(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}

test('after the lease hash is lost, a client that knew it waits one TTL and then gets a higher epoch', async () => {
  const prefix = `parley-test:${randomBytes(6).toString('hex')}:`;
  const a = await openTestRedisStore(prefix);
  const b = await openTestRedisStore(prefix);
  assert.equal(await a.acquire('session', 1, 'a', 60_000), 1);
  assert.equal((await b.owners('session')).get(1)?.instance, 'a');
  await wipe(prefix);
  const lostAt = Date.now();
  // 'a' may trust its lease of the lost data set for up to one TTL: 'b' must not take the shard before.
  assert.equal(await b.acquire('session', 1, 'b', 400), null);
  assert.equal(await b.acquire('session', 2, 'b', 400), null);
  let epoch: number | null = null;
  while (epoch === null) {
    await new Promise((r) => setTimeout(r, 25));
    epoch = await b.acquire('session', 1, 'b', 400);
  }
  assert.ok(Date.now() - lostAt >= 350, `quarantine lasted ${Date.now() - lostAt} ms`);
  assert.ok(epoch > 1, `epoch ${epoch} grows past the lost one`);
  assert.equal(await a.renew('session', 1, 'a', 1, 60_000), false);
  await a.close();
  await b.close();
});

test('a shard manager whose leases vanish stops serving at once and takes its shards back after one TTL', { timeout: 20_000 }, async () => {
  const prefix = `parley-test:${randomBytes(6).toString('hex')}:`;
  const store = await openTestRedisStore(prefix);
  const m = new ShardManager({ service: 'session', instanceId: 'only', store, ttlMs: 900, shardCount: 4 });
  const lost: number[] = [];
  const acquired: Array<[number, number]> = [];
  m.onLose((s) => {
    lost.push(s);
  });
  m.onAcquire((s, e) => {
    acquired.push([s, e]);
  });
  await m.start();
  assert.equal(m.owned().size, 4);
  await wipe(prefix);
  const lostAt = Date.now();
  await waitUntil(() => lost.length === 4, 3000);
  const droppedAfter = Date.now() - lostAt;
  await waitUntil(() => m.owned().size === 4, 5000);
  const backAfter = Date.now() - lostAt;
  assert.ok(droppedAfter < 900, `stopped serving ${droppedAfter} ms after the loss (within a renew period)`);
  assert.ok(backAfter >= 900, `took the shards back ${backAfter} ms after the loss, not before one TTL`);
  for (const [, e] of acquired.slice(4)) assert.ok(e > 1, 'epochs after the loss are higher');
  await m.stop();
  await store.close();
});

async function waitUntil(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
