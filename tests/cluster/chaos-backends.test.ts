// Chaos: a backend goes away under chat traffic and comes back. Redis restarts without its data (what
// a failover to a replica that missed writes, or a restart without persistence, looks like): the
// edges notice at their next heartbeat and register every session again, shard leases are taken
// again after one lease TTL (fencing), and messages meanwhile wait at the sending edge instead of
// going to offline storage for users who never left. NATS restarts: clients reconnect and
// resubscribe, hand-offs are retried. Both run on private servers this test kills; the machine's
// shared ones are never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, PrivateBackends, type ServerProcess } from './backends.ts';
import { assertDelivery, assertResumed, waitFlowing } from './chaos.ts';
import type { TestCluster } from './harness.ts';
import { errorConditions, recoveryAfter, report, settle, summary, withPairs } from './traffic.ts';

const OUTAGE_MS = 2_000;
const TRAFFIC_AFTER_RETURN_MS = 7_000;

/** Kills `server`, starts it again after the outage, and checks delivery; returns the cluster for more checks. */
async function outageUnderTraffic(
  t: { diagnostic(s: string): void },
  label: string,
  start: (b: PrivateBackends) => Promise<{ server: ServerProcess; urls: { redis?: string; nats?: string } }>,
  more: (cluster: TestCluster) => Promise<void>,
): Promise<void> {
  const backends = new PrivateBackends();
  try {
    const { server, urls } = await start(backends);
    await withPairs({ edges: 2, sessions: 1, presences: 1, label, prefix: label.slice(0, 2), count: 6, befriend: true, urls }, async ({ cluster, pairs, traffic }) => {
      traffic.start();
      await waitFlowing(pairs);
      await server.kill();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await server.start();
      const back = Date.now();
      await new Promise((r) => setTimeout(r, TRAFFIC_AFTER_RETURN_MS));
      traffic.stop();
      await settle(pairs, 30_000);

      const rs = await report(pairs, async () => []);
      const recovery = recoveryAfter(pairs, back);
      t.diagnostic(`${label}: ${summary(rs)} (${errorConditions(pairs)}); recovery ${recovery} ms after it returned`);
      assertDelivery(rs, cluster);
      // Nobody left, so nothing may wait in offline storage.
      for (const p of pairs) assert.deepEqual(await cluster.offline(p.receiver.user), [], `offline storage of ${p.receiver.user}`);
      // Every message sent once the backend was back reached its recipient exactly once.
      assertResumed(pairs, back);
      assert.ok(recovery <= 5000, `recovery took ${recovery} ms`);
      await more(cluster);
    });
  } finally {
    await backends.stop();
  }
}

test('after Redis comes back empty, connected users receive every message again within 5 s and nothing goes to offline storage', { timeout: 150_000 }, async (t) => {
  await outageUnderTraffic(
    t,
    'redis-loss',
    async (b) => {
      const server = await b.redis();
      return { server, urls: { redis: `redis://127.0.0.1:${server.port}` } };
    },
    async (cluster) => {
      const repairs = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_location_repairs_total')));
      assert.ok(
        repairs.every((n) => (n ?? 0) >= 1),
        `every edge registered its sessions again (repairs: ${repairs.join(',')})`,
      );
    },
  );
});

test('after NATS restarts, connected users receive every message again within 5 s and nothing goes to offline storage', { timeout: 150_000 }, async (t) => {
  await outageUnderTraffic(
    t,
    'nats-restart',
    async (b) => {
      const port = await freePort();
      const server = await b.nats(port);
      return { server, urls: { nats: `nats://127.0.0.1:${port}` } };
    },
    async () => {},
  );
});
