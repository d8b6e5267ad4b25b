// Graceful drain (SIGTERM): an actor process hands its shards over before it exits, so traffic
// keeps flowing in order with nothing lost; an edge closes its streams with system-shutdown and
// removes its sessions at once, so contacts see its users leave without waiting for the edge TTL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Element } from '@parley/xml';
import { EDGE_TTL_SEC, waitFor } from './harness.ts';
import { assertDelivery, waitFlowing } from './chaos.ts';
import { maxLatency, report, settle, summary, withPairs } from './traffic.ts';

test('a session process stopped with SIGTERM hands its shards over without losing or reordering messages', { timeout: 150_000 }, async (t) => {
  await withPairs({ edges: 2, sessions: 2, presences: 1, label: 'drain-session', prefix: 'ds', count: 16 }, async ({ cluster, pairs, traffic }) => {
    traffic.start();
    await waitFlowing(pairs);
    const [leaving, staying] = cluster.live('session');
    await leaving!.stop();
    await waitFor(async () => (await staying!.metric('parley_session_shards_owned')) === 64, 20_000, () => 'the remaining process to own every shard');
    const after = Date.now();
    await waitFor(() => pairs.every((p) => p.sender.sent.some((s) => s.at > after + 1000)), 20_000, () => 'traffic after the hand-over');
    traffic.stop();
    await settle(pairs, 30_000);
    const rs = await report(pairs, (u) => cluster.offline(u));
    t.diagnostic(`${summary(rs)}; slowest delivery ${maxLatency(pairs)} ms`);
    assertDelivery(rs, cluster);
    assert.deepEqual(
      rs.filter((r) => r.reordered).map((r) => r.pair),
      [],
      'each receiver sees its sender’s messages in order',
    );
  });
});

test('an edge stopped with SIGTERM closes streams with system-shutdown and its users leave at once', { timeout: 120_000 }, async (t) => {
  await withPairs({ edges: 2, sessions: 1, presences: 1, label: 'drain-edge', prefix: 'de', count: 4, befriend: true }, async ({ cluster, pairs }) => {
    const edge1 = cluster.edges()[0]!;
    // Pair n's sender is on edge n % 2: the even pairs' senders are on edge 1.
    const onEdge1 = pairs.filter((p) => p.n % 2 === 0).map((p) => p.sender);
    const partnerOf = (peer: (typeof onEdge1)[number]) => pairs.find((p) => p.sender === peer)!.receiver;
    await Promise.all(
      onEdge1.map((peer) =>
        partnerOf(peer).client.next((e: Element) => e.is('presence') && e.attr('from') === peer.fullJid && e.attr('type') === undefined, `${peer.user} online`, 20_000),
      ),
    );
    const stoppedAt = Date.now();
    const stopping = edge1.stop();
    for (const peer of onEdge1) assert.equal(await peer.client.streamError(), 'system-shutdown');
    await stopping;
    await Promise.all(
      onEdge1.map((peer) =>
        partnerOf(peer).client.next(
          (e: Element) => e.is('presence') && e.attr('from') === peer.fullJid && e.attr('type') === 'unavailable',
          `${peer.user} to go unavailable`,
          10_000,
        ),
      ),
    );
    // The reaper cannot remove an edge's sessions earlier than 2/3 of the TTL after its last
    // heartbeat (heartbeats come every TTL/3), so arriving sooner proves the drain did it.
    const took = Date.now() - stoppedAt;
    t.diagnostic(`contacts saw the drained edge's users leave ${took} ms after SIGTERM`);
    assert.ok(took < (EDGE_TTL_SEC * 1000 * 2) / 3, `unavailable arrived ${took} ms after SIGTERM, not before the reaper could act`);
  });
});
