// PARLEY_REDIS_CLUSTER: every Redis connection becomes a Redis Cluster client with the URL's
// credentials; a database other than 0 is refused (a cluster has only database 0).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@parley/config';
import { Cluster } from 'ioredis';
import { redisTopology } from './redis-topology.ts';

test('with PARLEY_REDIS_CLUSTER each connection is a Cluster client with the URL’s credentials', () => {
  const config = loadConfig({ PARLEY_REDIS_URL: 'redis://parley:s%40cret@ignored:6379', PARLEY_REDIS_CLUSTER: 'r1:7000,r2:7001' });
  const { createClient } = redisTopology(config, { maxRetriesPerRequest: 2 });
  assert.ok(createClient);
  const client = createClient({ lazyConnect: true }) as Cluster;
  try {
    assert.ok(client instanceof Cluster);
    assert.equal(client.options.redisOptions?.username, 'parley');
    assert.equal(client.options.redisOptions?.password, 's@cret');
  } finally {
    client.disconnect();
  }
});

test('a database other than 0 in PARLEY_REDIS_URL is refused with a Redis Cluster', () => {
  const config = loadConfig({ PARLEY_REDIS_URL: 'redis://r:6379/3', PARLEY_REDIS_CLUSTER: 'r1:7000' });
  assert.throws(() => redisTopology(config, {}), /names database 3, but a Redis Cluster has only database 0/);
});

test('without it, Sentinel settings go into the options and no Cluster is built', () => {
  const config = loadConfig({ PARLEY_REDIS_URL: 'redis://r:6379', PARLEY_REDIS_SENTINELS: 's1:26379', PARLEY_REDIS_SENTINEL_NAME: 'main' });
  const t = redisTopology(config, {});
  assert.equal(t.createClient, undefined);
  assert.deepEqual(t.redisOptions.sentinels, [{ host: 's1', port: 26379 }]);
  assert.equal(t.redisOptions.name, 'main');
});
