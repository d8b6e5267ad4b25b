// Real clients on different edges find each other through the location service (Redis) and the bus
// (NATS), as in a deployment behind a load balancer. Alice uses xmpp.js (npm), Bob slixmpp (Debian).
import assert from 'node:assert/strict';
import { SlixClient } from '../../harness/slix.ts';
import { XmppJsClient, xml, type XmlElement } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

const from = (el: XmlElement) => el.attrs.from ?? '';

export async function twoEdgesConverse({ cluster, user, addUsers }: Scenario): Promise<void> {
  const open: Array<{ stop(): Promise<void> }> = [];
  try {
    const [aJid, bJid] = await addUsers(['alice', 'bob']);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);
    const alice = await XmppJsClient.connect({
      service: `xmpp://127.0.0.1:${edge1.c2s}`,
      domain: DOMAIN,
      username: user('alice'),
      password: password(user('alice')),
      resource: 'xmppjs',
      fingerprint: edge1.fingerprint,
    });
    open.push(alice);
    await alice.send(xml('presence'));
    const bob = await SlixClient.connect({ jid: `${bJid}/slix`, password: password(user('bob')), port: edge2.c2s, mech: 'SCRAM-SHA-256' });
    open.push(bob);

    await alice.send(xml('presence', { to: bJid, type: 'subscribe' }));
    await bob.presence((p) => p.type === 'subscribe' && p.from === aJid, 'alice asking to subscribe');
    await bob.approve(aJid!);
    await bob.subscribe(aJid!);
    // RFC 6121 §3.1.5: once approved, alice gets bob's current presence, across edges.
    await alice.presence(bob.jid, undefined, "bob's available presence");
    await alice.next((e) => e.is('presence') && e.attrs.type === 'subscribe' && from(e) === bJid, 'bob asking to subscribe');
    await alice.send(xml('presence', { to: bJid, type: 'subscribed' }));
    await bob.presence((p) => p.type === 'available' && p.from === alice.jid, "alice's available presence");

    await alice.send(xml('message', { to: bJid, type: 'chat', id: 'm1' }, xml('body', null, 'hello bob, from edge 1')));
    const got = await bob.message((m) => m.body === 'hello bob, from edge 1', 'alice’s message');
    assert.equal(got.from, alice.jid);
    assert.equal(got.type, 'chat');
    await bob.sendMessage(aJid!, 'hi alice, from edge 2');
    const reply = await alice.message(bJid!, 'bob’s reply');
    assert.equal(from(reply), bob.jid);
    assert.equal(reply.getChildText('body'), 'hi alice, from edge 2');

    assert.deepEqual(
      (await bob.getRoster()).map((i) => [i.jid, i.subscription]),
      [[aJid, 'both']],
    );

    await bob.disconnect();
    await alice.presence(bob.jid, 'unavailable', 'bob going offline');
  } finally {
    await Promise.all(open.map((c) => c.stop()));
  }
}
