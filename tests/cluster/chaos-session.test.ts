// Chaos: a session process is killed (kill -9) under steady chat traffic. Its shard leases expire
// after PARLEY_LEASE_TTL_MS, the surviving session process takes them over, and edges retry the
// hand-offs meanwhile (libs/actor retry.ts). ARCHITECTURE.md, Actors: "Killing any one process must
// lose no acknowledged stanza."
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { duplicateTimeline, maxLatency, report, settle, summary, withPairs } from './traffic.ts';
import { assertDelivery, assertResumed, RESUME_AFTER_MS, TRAFFIC_AFTER_KILL_MS, waitFlowing } from './chaos.ts';

// A stanza can be processed twice: the owner publishes the delivery, dies before its reply leaves,
// the edge retries at the new owner (which has no memory of the id) and that one delivers again.
// The receiving edge drops the second copy: deliveries carry the hand-off id (libs/wire `deliver.id`,
// C2SConnection.firstDelivery), so the recipient still sees each acknowledged message once.
test('killing a session process loses no acknowledged message and delivers none twice', { timeout: 150_000 }, async (t) => {
  await withPairs({ edges: 2, sessions: 2, presences: 2, label: 'chaos-session', prefix: 'cs', count: 20 }, async ({ cluster, pairs, traffic }) => {
    traffic.start();
    await waitFlowing(pairs);

    const victim = cluster.live('session')[0]!;
    const killedAt = Date.now();
    await victim.kill();
    await new Promise((r) => setTimeout(r, TRAFFIC_AFTER_KILL_MS));
    traffic.stop();
    await settle(pairs, 30_000);

    const rs = await report(pairs, (u) => cluster.offline(u));
    const latency = maxLatency(pairs);
    t.diagnostic(`${summary(rs)}; slowest delivery ${latency} ms`);
    const dups = duplicateTimeline(pairs, killedAt);
    if (dups) t.diagnostic(`duplicates: ${dups}`);
    // Not vacuous: the dead process owned half the shards, so some traffic waited for the failover.
    assert.ok(latency > 1000, `the kill should have delayed some messages (slowest delivery ${latency} ms)`);
    assertDelivery(rs, cluster);
    assertResumed(pairs, killedAt + RESUME_AFTER_MS);
    // The survivor took over every shard of the dead process.
    assert.equal((await cluster.shardsOwned('session')).get(cluster.live('session')[0]!.name), 64);
  });
});
