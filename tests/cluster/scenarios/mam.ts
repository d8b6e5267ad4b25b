// The message archive in cluster mode: two edges and two session processes on NATS, Redis and
// Postgres. Alice's and Bob's actors may live in different processes; each message is in both
// archives in Postgres before its hand-off is acknowledged, and each client pages its own archive
// from its own edge with slixmpp's XEP-0313 plugin. A change of preferences holds at once in
// every process (cached copies are forgotten over the bus).
import assert from 'node:assert/strict';
import { slixMam } from '../../harness/slix-mam.ts';
import { SlixClient } from '../../harness/slix.ts';
import { password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

export async function archivesAcrossProcesses({ cluster, user, addUsers }: Scenario): Promise<void> {
  const open: SlixClient[] = [];
  try {
    await cluster.waitShardsSettled('session');
    const [aJid, bJid] = await addUsers(['alice', 'bob']);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2 && aJid && bJid);
    const alice = await SlixClient.connect({ jid: `${aJid}/slix`, password: password(user('alice')), port: edge1.c2s, mech: 'SCRAM-SHA-256' });
    open.push(alice);
    const bob = await SlixClient.connect({ jid: `${bJid}/slix`, password: password(user('bob')), port: edge2.c2s, mech: 'SCRAM-SHA-256' });
    open.push(bob);

    for (let i = 1; i <= 5; i++) await alice.sendMessage(bJid, `cluster ${i}`);
    await bob.message((m) => m.body === 'cluster 5', 'the last message');
    await bob.sendMessage(aJid, 'got them all');
    await alice.message((m) => m.body === 'got them all', 'bob’s answer');
    const sid = await slixMam(alice).stanzaIdOf('got them all');
    assert.equal(sid.by, aJid);

    const expected = ['cluster 1', 'cluster 2', 'cluster 3', 'cluster 4', 'cluster 5', 'got them all'];
    const aliceArchive = await slixMam(alice).all({ max: 4 });
    assert.deepEqual(aliceArchive.map((r) => r.body), expected);
    assert.equal(aliceArchive[5]!.id, sid.id);
    assert.deepEqual((await slixMam(bob).all({ max: 4, reverse: true })).map((r) => r.body), [...expected].reverse());
    const [row] = await cluster.store.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM archive_messages WHERE owner IN ($1, $2)', [aJid, bJid]);
    assert.equal(row?.n, 12, 'six messages, each in two archives, each once');

    // Bob's actor archives Alice's sent copy with her preferences, which it may have cached in
    // another process than the one that serves her prefs IQ: the change reaches it over the bus.
    await slixMam(alice).setPrefs({ default: 'never', always: [], never: [] });
    await alice.sendMessage(bJid, 'after never');
    await bob.message((m) => m.body === 'after never', 'the message after the change');
    assert.deepEqual((await slixMam(alice).all()).map((r) => r.body), expected, 'not in Alice’s archive');
    assert.equal((await slixMam(bob).all()).at(-1)?.body, 'after never', 'in Bob’s');
  } finally {
    await Promise.all(open.map((c) => c.stop()));
  }
}
