// Chaos on highly available backends (issue 17, item 2): one node of a redundant backend dies under
// chat traffic. The processes are given every node's address, as an operator configures them; a
// process whose node died reconnects to another, and what the bus lost meanwhile is written again
// from the XEP-0198 outboxes (decision 0022). Private servers only; the machine's shared ones are
// never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import type { PrivateBackends } from './backends.ts';
import { outageUnderTraffic } from './chaos.ts';

test('when one node of a NATS cluster of three dies, connected users lose no acknowledged message and recover within 5 s', { timeout: 150_000 }, async (t) => {
  let nats: Awaited<ReturnType<PrivateBackends['natsCluster']>> | undefined;
  await outageUnderTraffic(t, {
    label: 'nats-node-loss',
    async start(b) {
      nats = await b.natsCluster(3);
      return { server: nats.nodes[0]!, urls: { nats: nats.url } };
    },
    // The node holding the most of the cluster's processes (clients pick a node at random).
    async victim() {
      const counts = await Promise.all(nats!.nodes.map((n) => nats!.connections(n)));
      const i = counts.indexOf(Math.max(...counts));
      t.diagnostic(`connections per node before the kill: ${counts.join(',')}; killing node ${i + 1}`);
      assert.ok(counts[i]! > 0, 'a node to kill holds processes');
      return nats!.nodes[i]!;
    },
    async after(cluster) {
      const moved = cluster.logLines(/bus connection back/).length;
      t.diagnostic(`processes that reconnected to another node: ${moved}`);
      assert.ok(moved >= 1, 'the processes of the dead node reconnected');
    },
  });
});

test('when the Redis primary behind Sentinel dies, its replica takes over and connected users lose no acknowledged message', { timeout: 150_000 }, async (t) => {
  let sentinel: Awaited<ReturnType<PrivateBackends['redisSentinel']>> | undefined;
  await outageUnderTraffic(t, {
    label: 'redis-failover',
    async start(b) {
      sentinel = await b.redisSentinel();
      // The harness's own connection goes to the primary; the cluster's processes ask the Sentinel.
      return {
        server: sentinel.primary,
        urls: { redis: `redis://127.0.0.1:${sentinel.primary.port}` },
        env: { PARLEY_REDIS_SENTINELS: sentinel.sentinels, PARLEY_REDIS_SENTINEL_NAME: sentinel.name },
      };
    },
    // The Sentinel promotes the replica ≈2 s after the kill; the old primary stays down.
    outageMs: 3_000,
    restart: false,
    async after() {
      const switched = sentinel!.sentinel.logTail(200).split('\n').filter((l) => /\+(sdown|odown|switch-master|promoted-slave|convert-to-slave)/.test(l));
      t.diagnostic(`Sentinel: ${switched.join(' | ')}`);
      const r = new Redis({ host: '127.0.0.1', port: sentinel!.replica.port });
      try {
        assert.equal(((await r.role()) as unknown[])[0], 'master', 'the replica was promoted');
      } finally {
        r.disconnect();
      }
    },
  });
});
