// Chaos: a presence process is killed (kill -9) under chat traffic. Messages never touch the
// presence service, so chat must be unaffected; the surviving presence process takes the dead
// one's shards after the lease TTL, rebuilds rosters from Postgres, and status changes flow again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xml } from '@parley/xml';
import { assertDelivery, TRAFFIC_AFTER_KILL_MS, waitFlowing } from './chaos.ts';
import { maxLatency, report, settle, summary, withPairs } from './traffic.ts';

test('killing a presence process leaves chat untouched and presence working', { timeout: 150_000 }, async (t) => {
  await withPairs({ edges: 2, sessions: 2, presences: 2, label: 'chaos-presence', prefix: 'cp', count: 20, befriend: true }, async ({ cluster, pairs, traffic }) => {
    traffic.start();
    await waitFlowing(pairs);

    await cluster.live('presence')[0]!.kill();
    await new Promise((r) => setTimeout(r, TRAFFIC_AFTER_KILL_MS));
    traffic.stop();
    await settle(pairs, 30_000);

    const rs = await report(pairs, (u) => cluster.offline(u));
    t.diagnostic(`${summary(rs)}; slowest delivery ${maxLatency(pairs)} ms`);
    assertDelivery(rs, cluster);
    // Unaffected: every message accepted, none refused, all delivered.
    for (const r of rs) {
      assert.equal(r.errors, 0, `pair${r.pair}: error replies while only presence failed`);
      assert.equal(r.acked, r.sent, `pair${r.pair}: every message acknowledged`);
    }

    await cluster.waitShardsSettled('presence');
    // A status change by each receiver reaches its subscribed sender: every presence actor,
    // including those that lived on the dead process, is back (rebuilt from the store).
    await Promise.all(
      pairs.map(async (p) => {
        p.receiver.client.send(xml('presence', null, xml('show', null, 'away'), xml('status', null, `after failover ${p.n}`)));
        const got = await p.sender.client.next(
          (e) => e.is('presence') && e.attr('from') === p.receiver.fullJid && e.getChildText('status') === `after failover ${p.n}`,
          `pair${p.n}: the receiver's new status`,
          20_000,
        );
        assert.equal(got.getChildText('show'), 'away');
      }),
    );
  });
});
