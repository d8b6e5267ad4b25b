// Chaos: a backend goes away under chat traffic and comes back. Redis restarts without its data (what
// a failover to a replica that missed writes, or a restart without persistence, looks like): the
// edges notice at their next heartbeat and register every session again, shard leases are taken
// again after one lease TTL (fencing), and messages meanwhile wait at the sending edge instead of
// going to offline storage for users who never left. NATS restarts: clients reconnect and
// resubscribe, hand-offs are retried. Both run on private servers this test kills; the machine's
// shared ones are never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { busyLoops, freePort, PrivateBackends, type ServerProcess } from './backends.ts';
import { assertDelivery, assertResumed, waitFlowing } from './chaos.ts';
import type { TestCluster } from './harness.ts';
import { errorConditions, type Pair, type PairReport, recoveryAfter, report, settle, summary, withPairs } from './traffic.ts';

const OUTAGE_MS = 2_000;
const TRAFFIC_AFTER_RETURN_MS = 7_000;
/** Busy loops (one per core of the test machine) start this long before the kill and end this long after the return. */
const CONTENTION_BEFORE_MS = 1_500;
const CONTENTION_AFTER_MS = 1_500;

/** Kills `server`, starts it again after the outage, and checks delivery; returns the cluster for more checks. */
async function outageUnderTraffic(
  t: { diagnostic(s: string): void },
  label: string,
  start: (b: PrivateBackends) => Promise<{ server: ServerProcess; urls: { redis?: string; nats?: string } }>,
  more: (cluster: TestCluster) => Promise<void>,
  contention = 0,
): Promise<void> {
  const backends = new PrivateBackends();
  /** Stops the busy loops while they run. */
  const hogs: { stop: (() => Promise<void>) | null } = { stop: null };
  try {
    const { server, urls } = await start(backends);
    await withPairs({ edges: 2, sessions: 1, presences: 1, label, prefix: label.slice(0, 2), count: 6, befriend: true, urls }, async ({ cluster, pairs, traffic }) => {
      traffic.start();
      await waitFlowing(pairs);
      // Starved processes fall behind: deliveries pile up in the bus, in flight when it dies.
      if (contention) {
        hogs.stop = busyLoops(contention);
        await new Promise((r) => setTimeout(r, CONTENTION_BEFORE_MS));
      }
      await server.kill();
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      await server.start();
      const back = Date.now();
      if (hogs.stop) {
        await new Promise((r) => setTimeout(r, CONTENTION_AFTER_MS));
        await hogs.stop();
        hogs.stop = null;
      }
      await new Promise((r) => setTimeout(r, TRAFFIC_AFTER_RETURN_MS));
      traffic.stop();
      await settle(pairs, 30_000);

      const rs = await report(pairs, async () => []);
      const recovery = recoveryAfter(pairs, back);
      t.diagnostic(`${label}: ${summary(rs)} (${errorConditions(pairs)}); recovery ${recovery} ms after it returned`);
      if (rs.some((r) => r.lostAcked.length)) t.diagnostic(await whereLost(cluster, pairs, rs, back));
      assertDelivery(rs, cluster);
      // Nobody left, so nothing may wait in offline storage.
      for (const p of pairs) assert.deepEqual(await cluster.offline(p.receiver.user), [], `offline storage of ${p.receiver.user}`);
      // Every message sent once the backend was back reached its recipient exactly once.
      assertResumed(pairs, back);
      assert.ok(recovery <= 5000, `recovery took ${recovery} ms`);
      await more(cluster);
    });
  } finally {
    await hogs.stop?.();
    await backends.stop();
  }
}

/**
 * Where the lost messages are: still in the receiver's XEP-0198 outbox (its session actor handled
 * them and published the delivery, so the bus lost them on the way to the edge) or not; and when
 * each process got its bus connection back.
 */
async function whereLost(cluster: TestCluster, pairs: Pair[], rs: PairReport[], back: number): Promise<string> {
  const kept = await cluster.outboxed();
  const lines = rs.flatMap((r) => {
    const p = pairs[r.pair]!;
    return r.lostAcked.map((seq) => {
      const sent = p.sender.sent.find((s) => s.seq === seq)!.at - back;
      const k = kept.find((o) => o.xml.includes(`>pair${r.pair}:${seq}<`));
      return `pair${r.pair}:${seq} sent ${sent} ms after the return: ${k ? `in an outbox, ${k.written ? '' : 'never '}written to the client` : 'in no outbox'}`;
    });
  });
  const bus = cluster.logLines(/bus connection back/).map((l) => l.replace(/"msg":"bus connection back",?/, ''));
  return `lost messages:\n${lines.join('\n')}\nbus reconnections (the return at ${new Date(back).toISOString()}):\n${bus.join('\n')}`;
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

// Under CPU contention the edges fall behind and deliveries are still in flight when NATS dies: the
// bus loses them although their senders were told they were accepted. The edges write them again
// from the XEP-0198 outboxes once the bus is back (decision 0022).
test('after NATS restarts on a starved machine, connected users receive every message again within 5 s and nothing goes to offline storage', { timeout: 150_000 }, async (t) => {
  await outageUnderTraffic(
    t,
    'nats-restart',
    async (b) => {
      const port = await freePort();
      const server = await b.nats(port);
      return { server, urls: { nats: `nats://127.0.0.1:${port}` } };
    },
    async (cluster) => {
      const resent = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_deliveries_resent_total')));
      const passes = await Promise.all(cluster.edges().map((e) => e.metric('parley_edge_bus_resyncs_total')));
      t.diagnostic(`deliveries written again after the bus lost them, per edge: ${resent.join(',')}; resync passes: ${passes.join(',')}`);
      assert.ok(passes.every((n) => (n ?? 0) >= 1), `every edge looked for lost deliveries (passes: ${passes.join(',')})`);
    },
    2,
  );
});
