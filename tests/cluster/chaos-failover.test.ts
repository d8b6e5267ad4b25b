// Chaos on backends that fail over to a new node (issue 17, item 2): a Redis Cluster master and a
// Postgres primary die under chat traffic, a replica takes their place, and the processes follow
// it through their standard settings (PARLEY_REDIS_CLUSTER, a multi-host PARLEY_DATABASE_URL).
// Private servers only (tests/cluster/ha-backends.ts); the machine's shared ones are never touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outageUnderTraffic } from './chaos.ts';
import { postgresReplica, type RedisClusterNodes, redisCluster } from './ha-backends.ts';

test('when the Redis Cluster master holding the location data dies, its replica takes over and connected users lose no acknowledged message', { timeout: 180_000 }, async (t) => {
  let rc: RedisClusterNodes | undefined;
  await outageUnderTraffic(t, {
    label: 'redis-cluster-failover',
    async start(b) {
      rc = await redisCluster(b);
      // The harness's own connection goes to one node (its clean-up); the processes get every seed.
      const seed = rc.nodes[0]!;
      return { server: seed, urls: { redis: `redis://127.0.0.1:${seed.port}` }, env: { PARLEY_REDIS_CLUSTER: rc.seeds } };
    },
    // Every location key carries the {loc} hash tag: one slot, one master (decision 0026).
    victim: () => rc!.masterOf('{loc}'),
    // The replica is promoted ≈2–3 s after the kill (node timeout 1 s); the old master stays down.
    outageMs: 3_000,
    restart: false,
    async after() {
      const now = await rc!.masterOf('{loc}');
      t.diagnostic(`the location slot is now served by ${now.what}`);
      assert.ok(now.running, 'a live replica was promoted in the dead master’s place');
    },
  });
});

test('when the Postgres primary dies and its replica is promoted, connected users lose no acknowledged message and the archive continues on the new primary', { timeout: 180_000 }, async (t) => {
  let replica: Awaited<ReturnType<typeof postgresReplica>> | undefined;
  let killedAt = 0;
  await outageUnderTraffic(t, {
    label: 'postgres-failover',
    async start(b) {
      const primary = await b.postgres();
      replica = await postgresReplica(b, primary);
      // libpq's multi-host syntax: the processes use whichever host accepts writes.
      const url = `postgres://postgres@127.0.0.1:${primary.port},127.0.0.1:${replica.port}/postgres?target_session_attrs=read-write`;
      return { server: primary, urls: { database: url } };
    },
    // An operator (or Patroni) promotes the replica a second after the primary died; the primary stays down.
    async whileDown() {
      killedAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_000));
      await replica!.promote();
      t.diagnostic(`replica promoted ${Date.now() - killedAt} ms after the kill`);
    },
    outageMs: 1_000,
    restart: false,
    async after(cluster, pairs, back) {
      // Replication is asynchronous: archive rows the primary committed but had not streamed when it
      // died are gone (their messages were delivered). Everything after the promotion is archived.
      const rows = await cluster.store.sql.query<{ owner: string; body: string }>("SELECT owner, body FROM archive_messages WHERE body LIKE 'pair%'");
      const archived = new Set(rows.map((r) => `${r.owner.split('@')[0]} ${r.body}`));
      let missing = 0;
      let missingLate = 0;
      let total = 0;
      for (const p of pairs) {
        for (const s of p.sender.sent) {
          if (!p.receiver.counts.has(s.seq)) continue;
          total++;
          if (archived.has(`${p.receiver.user} pair${p.n}:${s.seq}`)) continue;
          missing++;
          if (s.at >= back) missingLate++;
        }
      }
      t.diagnostic(`archive: ${missing} of ${total} delivered messages missing from the receivers' archives on the new primary (all sent before the promotion: ${missingLate === 0})`);
      assert.equal(missingLate, 0, 'every message sent after the promotion is in its receiver’s archive');
    },
  });
});
