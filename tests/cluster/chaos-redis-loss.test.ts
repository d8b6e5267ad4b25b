// Chaos: Redis restarts without its data (what a failover to a replica that missed writes, or a
// restart without persistence, looks like) while users chat. The edges notice at their next
// heartbeat and register every session again, shard leases are taken again after one lease TTL
// (fencing), and messages meanwhile wait at the sending edge instead of going to offline storage
// for users who never left. The cluster runs on a private redis-server this test kills; the
// machine's shared Redis is never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrivateBackends } from './backends.ts';
import { assertDelivery, assertResumed, waitFlowing } from './chaos.ts';
import { errorConditions, recoveryAfter, report, settle, summary, withPairs } from './traffic.ts';

const OUTAGE_MS = 2_000;
const TRAFFIC_AFTER_RETURN_MS = 7_000;

test('after Redis comes back empty, connected users receive every message again within 5 s and nothing goes to offline storage', { timeout: 150_000 }, async (t) => {
  const backends = new PrivateBackends();
  try {
    const redis = await backends.redis();
    const urls = { redis: `redis://127.0.0.1:${redis.port}` };
    await withPairs({ edges: 2, sessions: 1, presences: 1, label: 'redis-loss', prefix: 'rl', count: 6, befriend: true, urls }, async ({ cluster, pairs, traffic }) => {
      traffic.start();
      await waitFlowing(pairs);

      await redis.kill();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await redis.start();
      const back = Date.now();
      await new Promise((r) => setTimeout(r, TRAFFIC_AFTER_RETURN_MS));
      traffic.stop();
      await settle(pairs, 30_000);

      const rs = await report(pairs, async () => []);
      const recovery = recoveryAfter(pairs, back);
      t.diagnostic(`${summary(rs)} (${errorConditions(pairs)}); recovery ${recovery} ms after Redis returned`);
      assertDelivery(rs, cluster);
      // Nobody left, so nothing may wait in offline storage.
      for (const p of pairs) assert.deepEqual(await cluster.offline(p.receiver.user), [], `offline storage of ${p.receiver.user}`);
      // Every message sent once Redis was back reached its recipient exactly once.
      assertResumed(pairs, back);
      assert.ok(recovery <= 5000, `recovery took ${recovery} ms`);
      const repairs = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_location_repairs_total')));
      assert.ok(
        repairs.every((n) => (n ?? 0) >= 1),
        `every edge registered its sessions again (repairs: ${repairs.join(',')})`,
      );
    });
  } finally {
    await backends.stop();
  }
});
