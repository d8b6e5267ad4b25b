// Chaos: a backend goes away under chat traffic and comes back. Redis restarts without its data (what
// a failover to a replica that missed writes, or a restart without persistence, looks like): the
// edges notice at their next heartbeat and register every session again, shard leases are taken
// again after one lease TTL (fencing), and messages meanwhile wait at the sending edge instead of
// going to offline storage for users who never left. NATS restarts: clients reconnect and
// resubscribe, hand-offs are retried. Both run on private servers this test kills; the machine's
// shared ones are never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from './backends.ts';
import { outageUnderTraffic } from './chaos.ts';

test('after Redis comes back empty, connected users receive every message again within 5 s and nothing goes to offline storage', { timeout: 150_000 }, async (t) => {
  await outageUnderTraffic(t, {
    label: 'redis-loss',
    async start(b) {
      const server = await b.redis();
      return { server, urls: { redis: `redis://127.0.0.1:${server.port}` } };
    },
    async after(cluster) {
      const repairs = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_location_repairs_total')));
      assert.ok(
        repairs.every((n) => (n ?? 0) >= 1),
        `every edge registered its sessions again (repairs: ${repairs.join(',')})`,
      );
    },
  });
});

// Under CPU contention the edges fall behind and deliveries are still in flight when NATS dies: the
// bus loses them although their senders were told they were accepted. The edges write them again
// from the XEP-0198 outboxes once the bus is back (decision 0022).
test('after NATS restarts on a starved machine, connected users receive every message again within 5 s and nothing goes to offline storage', { timeout: 150_000 }, async (t) => {
  await outageUnderTraffic(t, {
    label: 'nats-restart',
    async start(b) {
      const port = await freePort();
      const server = await b.nats(port);
      return { server, urls: { nats: `nats://127.0.0.1:${port}` } };
    },
    contention: 2,
    async after(cluster) {
      const resent = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_deliveries_resent_total')));
      const passes = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_bus_resyncs_total')));
      t.diagnostic(`deliveries written again after the bus lost them, per edge: ${resent.join(',')}; resync passes: ${passes.join(',')}`);
      assert.ok(passes.every((n) => (n ?? 0) >= 1), `every edge looked for lost deliveries (passes: ${passes.join(',')})`);
    },
  });
});
