// Privacy in cluster mode: the blocker and the blocked sit on different edges, and a presence
// process is killed (kill -9) in the middle. The block lives in Postgres and every process's cached
// policy, so the process that takes the dead one's shards enforces it as before (XEP-0191 §3.3-3.5).
// After it the shared cluster has one presence process left.
import assert from 'node:assert/strict';
import { flush, flushPresence } from '../../harness/flush.ts';
import { SlixClient } from '../../harness/slix.ts';
import { XmppJsClient, xml, type XmlElement } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

const NS_BLOCKING = 'urn:xmpp:blocking';
const from = (el: XmlElement) => el.attrs.from ?? '';

export async function blockSurvivesPresenceKill({ cluster, user, addUsers }: Scenario): Promise<void> {
  const open: Array<{ stop(): Promise<void> }> = [];
  try {
    const [aJid, bJid, cJid] = await addUsers(['alice', 'bob', 'carol']);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2 && aJid && bJid && cJid);
    const connect = async (name: string, edge: typeof edge1) => {
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: user(name), password: password(user(name)), resource: 'js', fingerprint: edge.fingerprint });
      open.push(c);
      c.xmpp.iqCallee.set(NS_BLOCKING, 'block', () => ({}) as never);
      return c;
    };
    const alice = await connect('alice', edge1);
    const carol = await connect('carol', edge2);
    const bob = await SlixClient.connect({ jid: `${bJid}/slix`, password: password(user('bob')), port: edge2.c2s, mech: 'SCRAM-SHA-256' });
    open.push(bob);
    await alice.send(xml('presence'));
    await carol.send(xml('presence'));

    // Bob and Carol both subscribe to Alice, and she to them.
    for (const [jid, who] of [[bJid, 'bob'], [cJid, 'carol']] as const) {
      await alice.send(xml('presence', { to: jid, type: 'subscribe' }));
      if (who === 'bob') {
        await bob.presence((p) => p.type === 'subscribe' && p.from === aJid, 'alice asking bob');
        await bob.approve(aJid);
        await bob.subscribe(aJid);
      } else {
        await carol.next((e) => e.is('presence') && e.attrs.type === 'subscribe', 'alice asking carol');
        await carol.send(xml('presence', { to: aJid, type: 'subscribed' }));
        await carol.send(xml('presence', { to: aJid, type: 'subscribe' }));
      }
      await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === jid, `${who} asking alice`);
      await alice.send(xml('presence', { to: jid, type: 'subscribed' }));
    }
    await bob.presence((p) => p.type === 'available' && p.from === alice.jid, 'alice available to bob');
    await carol.presence(alice.jid, undefined, 'alice available to carol');

    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: NS_BLOCKING }, xml('item', { jid: bJid }))));
    // §3.3: the blocked contact sees the blocker go offline, across edges.
    await bob.presence((p) => p.type === 'unavailable' && p.from === alice.jid, 'alice gone for bob');

    await cluster.live('presence')[0]!.kill();
    await cluster.waitShardsSettled('presence');

    // After the failover: a status change reaches Carol and not Bob.
    await alice.send(xml('presence', null, xml('status', null, 'after the failover')));
    await carol.next((e) => e.is('presence') && from(e) === alice.jid && e.getChildText('status') === 'after the failover', 'alice’s status to carol', 30_000);
    await flushPresence(alice, bob);
    const bobSaw = await bob.traffic();
    assert.ok(!bobSaw.received.some((s) => s.includes('after the failover')), 'the blocked contact got no presence of the blocker');

    // Messages both ways are still refused (XEP-0191 §3.5): Bob gets service-unavailable, Alice not-acceptable.
    await bob.sendMessage(aJid, 'can you hear me?');
    const bounce = await bob.message((m) => m.error !== null, 'the bounce of bob’s message');
    assert.equal(bounce.error, 'service-unavailable');
    await alice.send(xml('message', { to: bJid, type: 'chat', id: 'to-blocked' }, xml('body', null, 'hidden')));
    const refused = await alice.next((e) => e.is('message') && e.attrs.type === 'error' && e.attrs.id === 'to-blocked', 'alice’s refused message');
    assert.ok(refused.getChild('error')?.getChild('blocked', 'urn:xmpp:blocking:errors'));
    await flush(alice);
    assert.ok(!alice.received.some((s) => s.includes('can you hear me?')), 'the blocker never saw the blocked contact’s message');

    // A presence probe by the blocked contact after the failover learns nothing: he re-sends his presence.
    await bob.sendPresence({ status: 'back' });
    await flushPresence(alice, bob);
    const after = await bob.traffic();
    assert.equal(after.received.filter((s) => s.includes('<presence') && s.includes(`from="${alice.jid}"`) && !s.includes('unavailable')).length, 1, 'only the presence seen before the block');
  } finally {
    await Promise.all(open.map((c) => c.stop()));
  }
}
