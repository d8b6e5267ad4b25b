// Chaos on highly available backends (issue 17, item 2): one node of a redundant backend dies under
// chat traffic. The processes are given every node's address, as an operator configures them; a
// process whose node died reconnects to another, and what the bus lost meanwhile is written again
// from the XEP-0198 outboxes (decision 0022). Private servers only; the machine's shared ones are
// never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outageUnderTraffic } from './chaos.ts';

test('when one node of a NATS cluster of three dies, connected users lose no acknowledged message and recover within 5 s', { timeout: 150_000 }, async (t) => {
  let nats: Awaited<ReturnType<import('./backends.ts').PrivateBackends['natsCluster']>> | undefined;
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
