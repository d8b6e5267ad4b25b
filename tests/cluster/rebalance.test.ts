// Rebalance: session processes join a running cluster under traffic. Shards move by graceful
// hand-over (libs/actor shards.ts: the old owner stops processing and releases, the new one
// acquires; queued requests are answered 'moved' and retried by the edge, in order per sender).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from './harness.ts';
import { assertDelivery, waitFlowing } from './chaos.ts';
import { maxLatency, report, settle, summary, withPairs } from './traffic.ts';

test('session processes joining under traffic take shards over without losing, duplicating or reordering messages', { timeout: 150_000 }, async (t) => {
  await withPairs({ edges: 2, sessions: 1, presences: 1, label: 'rebalance', prefix: 'rb', count: 20 }, async ({ cluster, pairs, traffic }) => {
    const first = cluster.live('session')[0]!;
    assert.equal(await first.metric('parley_session_shards_owned'), 64);
    traffic.start();
    await waitFlowing(pairs);

    await Promise.all([cluster.spawn('session'), cluster.spawn('session')]);
    const owned = await cluster.waitShardsSettled('session', 40_000);
    t.diagnostic(`shards after the joins: ${JSON.stringify(Object.fromEntries(owned))}`);
    assert.equal(owned.size, 3);
    assert.ok((owned.get(first.name) ?? 0) < 64, 'the first process handed shards over');
    // Some traffic after the move, through the new owners.
    const movedAt = Date.now();
    await waitFor(() => pairs.every((p) => p.sender.sent.some((s) => s.at > movedAt + 1000)), 20_000, () => 'traffic after the move');
    traffic.stop();
    await settle(pairs, 30_000);

    const rs = await report(pairs, (u) => cluster.offline(u));
    t.diagnostic(`${summary(rs)}; slowest delivery ${maxLatency(pairs)} ms`);
    assertDelivery(rs, cluster);
    const reordered = rs.filter((r) => r.reordered).map((r) => `pair${r.pair}: ${pairs[r.pair]!.receiver.received.join(',')}`);
    assert.deepEqual(reordered, [], 'each receiver sees its sender’s messages in the order they were sent');
  });
});
