// PEP (XEP-0163) in cluster mode: the publisher and the subscriber on different edges; the
// subscriber's caps are learned by the session process and read by the presence process through
// the shared table (XEP-0115 caps cached cluster-wide), and the event crosses NATS to the other edge.
import assert from 'node:assert/strict';
import { advertiseCaps, eventItems, items, nextEvent, publish, subscribe } from '../../harness/pep.ts';
import { XmppJsClient, xml } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

const TUNE = 'http://jabber.org/protocol/tune';

export async function pepAcrossEdges({ cluster, user, addUsers }: Scenario): Promise<void> {
  const open: XmppJsClient[] = [];
  try {
    const [aJid, bJid] = await addUsers(['alice', 'bob']);
    assert.ok(aJid && bJid);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);
    const connect = async (name: string, edge: typeof edge1, resource: string) => {
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: user(name), password: password(user(name)), resource, fingerprint: edge.fingerprint });
      open.push(c);
      return c;
    };
    const alice = await connect('alice', edge1, 'one');
    const bob = await connect('bob', edge2, 'two');
    await alice.send(xml('presence'));
    await advertiseCaps(bob, [`${TUNE}+notify`]);
    await subscribe(bob, bJid, alice, aJid);

    await publish(alice, TUNE, 'song', xml('tune', { xmlns: TUNE }, xml('title', {}, 'Across the Universe')));
    const ev = await nextEvent(bob, aJid, TUNE, 'the tune on the other edge');
    assert.equal(eventItems(ev)?.getChild('item')?.getChild('tune', TUNE)?.getChildText('title'), 'Across the Universe');
    assert.equal((await items(bob, aJid, TUNE))[0]?.attrs.id, 'song');

    const bob2 = await connect('bob', edge1, 'three');
    await advertiseCaps(bob2, [`${TUNE}+notify`]);
    const last = await nextEvent(bob2, aJid, TUNE, 'the last tune on login');
    assert.equal(eventItems(last)?.getChild('item')?.attrs.id, 'song');
  } finally {
    await Promise.all(open.map((c) => c.stop()));
  }
}
