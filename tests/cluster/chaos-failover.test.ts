// Chaos on backends that fail over to a new node (issue 17, item 2): a Redis Cluster master and a
// Postgres primary die under chat traffic, a replica takes their place, and the processes follow
// it through their standard settings (PARLEY_REDIS_CLUSTER, a multi-host PARLEY_DATABASE_URL).
// Private servers only (tests/cluster/ha-backends.ts); the machine's shared ones are never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outageUnderTraffic } from './chaos.ts';
import { type RedisClusterNodes, redisCluster } from './ha-backends.ts';

test('when the Redis Cluster master holding the location data dies, its replica takes over and connected users lose no acknowledged message', { timeout: 180_000 }, async (t) => {
  let rc: RedisClusterNodes | undefined;
  await outageUnderTraffic(t, {
    label: 'redis-cluster-failover',
    async start(b) {
      rc = await redisCluster(b);
      // The harness's own connection goes to one node (its clean-up); the processes get every seed.
      const seed = rc.nodes[0]!;
      return { server: seed, urls: { redis: `redis://127.0.0.1:${seed.port}` }, env: { PARLEY_REDIS_CLUSTER: rc.seeds } };
    },
    // Every location key carries the {loc} hash tag: one slot, one master (decision 0026).
    victim: () => rc!.masterOf('{loc}'),
    // The replica is promoted ≈2–3 s after the kill (node timeout 1 s); the old master stays down.
    outageMs: 3_000,
    restart: false,
    async after() {
      const now = await rc!.masterOf('{loc}');
      t.diagnostic(`the location slot is now served by ${now.what}`);
      assert.ok(now.running, 'a live replica was promoted in the dead master’s place');
    },
  });
});
