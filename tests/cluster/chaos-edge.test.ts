// Chaos: an edge is killed (kill -9) with clients on it. Its clients reconnect to the other edge,
// as a real client would, and carry on; the presence reaper removes the dead edge's sessions once
// its heartbeat has been silent for PARLEY_EDGE_TTL, and their contacts see them go unavailable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Element } from '@parley/xml';
import { EDGE_TTL_SEC } from './harness.ts';
import { waitFlowing } from './chaos.ts';
import { type Peer, report, settle, summary, withPairs } from './traffic.ts';

const isPresence = (from: string, type: string | undefined) => (e: Element) => e.is('presence') && e.attr('from') === from && e.attr('type') === type;

test('clients of a killed edge reconnect to the other edge, carry on chatting, and their contacts see them leave and return', { timeout: 150_000 }, async (t) => {
  await withPairs({ edges: 2, sessions: 2, presences: 2, label: 'chaos-edge', prefix: 'ce', count: 12, befriend: true }, async ({ cluster, pairs, traffic }) => {
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);
    const partner = (peer: Peer) => {
      const p = pairs[peer.pair]!;
      return p.sender === peer ? p.receiver : p.sender;
    };
    const all = pairs.flatMap((p) => [p.sender, p.receiver]);
    // Pair n's sender is on edge n % 2, its receiver on the other: every pair spans both edges.
    const onVictim = all.filter((peer) => (peer === pairs[peer.pair]!.sender ? peer.pair % 2 === 0 : peer.pair % 2 === 1));
    await Promise.all(all.map((peer) => peer.client.next(isPresence(partner(peer).fullJid, undefined), `${peer.user} to see its partner online`, 20_000)));

    traffic.start();
    await waitFlowing(pairs);

    const killedAt = Date.now();
    await edge1.kill();
    const oldJids = new Map(onVictim.map((peer) => [peer, peer.fullJid]));
    // Their contacts see them leave: the reaper runs every EDGE_TTL/2 and removes the sessions of an
    // edge silent for EDGE_TTL, then the presence actors broadcast unavailable.
    const gone = Promise.all(
      onVictim.map(async (peer) => {
        await partner(peer).client.next(isPresence(oldJids.get(peer)!, 'unavailable'), `${peer.user}'s old session to go unavailable`, 30_000);
        return Date.now() - killedAt;
      }),
    );
    // Meanwhile the clients notice the dead connection and reconnect to the surviving edge.
    const back = new Map<Peer, number>();
    await Promise.all(
      onVictim.map(async (peer) => {
        await peer.client.closed;
        peer.dropConnection();
        await peer.connect(edge2.c2s);
        back.set(peer, Date.now());
      }),
    );
    await Promise.all(onVictim.map((peer) => partner(peer).client.next(isPresence(peer.fullJid, undefined), `${peer.user} to be seen online again`, 20_000)));
    const goneAfter = await gone;
    const slowest = Math.max(...goneAfter);
    t.diagnostic(`unavailable seen ${Math.min(...goneAfter)}–${slowest} ms after the kill (edge TTL ${EDGE_TTL_SEC} s)`);
    // About the edge TTL: at most TTL + one reaper period (TTL/2) + delivery, with slack for a loaded machine.
    assert.ok(slowest <= EDGE_TTL_SEC * 2000 + 2000, `contacts saw the dead edge's users leave after ${slowest} ms`);

    // Carry on chatting for a while on the surviving edge (≈20 messages per pair at 10/s).
    const resumedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    traffic.stop();
    await settle(pairs, 30_000);

    const rs = await report(pairs, (u) => cluster.offline(u));
    t.diagnostic(summary(rs));
    for (const r of rs) {
      const p = pairs[r.pair]!;
      const since = back.get(p.receiver) ?? 0;
      // XEP-0198: what a receiver on the dead edge never acknowledged was kept in its outbox and is
      // routed again (to its new session or offline storage) once the reaper removes the old one, so
      // nothing acknowledged to a sender is lost. A message the client had received but not yet
      // acknowledged when its edge died may arrive twice (at-least-once, as XEP-0198 §5 allows
      // without resumption); only those may repeat, and only for receivers that were on that edge.
      assert.deepEqual(r.lostAcked, [], `pair${r.pair}: acknowledged messages lost`);
      const dups = [...r.dupAcked, ...r.dupUnacked];
      const allowed = since ? dups.filter((seq) => p.sender.sent.find((s) => s.seq === seq)!.at < since) : [];
      assert.deepEqual(dups.filter((seq) => !allowed.includes(seq)), [], `pair${r.pair}: messages delivered twice`);
      if (allowed.length) t.diagnostic(`pair${r.pair}: ${allowed.length} in-flight messages re-delivered after the edge died`);
      // Everyone carries on: messages sent after the reconnections were acknowledged and delivered.
      const late = p.sender.sent.filter((s) => s.at >= resumedAt).map((s) => s.seq);
      assert.ok(late.length >= 5, `pair${r.pair}: sent only ${late.length} messages after the reconnections`);
      const acked = p.sender.acked();
      assert.deepEqual(
        late.filter((s) => !acked.has(s) || p.sender.errors.has(s) || p.receiver.counts.get(s) !== 1),
        [],
        `pair${r.pair}: messages after the reconnections that did not go through`,
      );
    }
  });
});
