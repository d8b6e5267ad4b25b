// Profiles in cluster mode: vCards (XEP-0054) and HTTP upload (XEP-0363) when the actors that
// answer the IQs run in session processes and the files are PUT to and served by an edge process,
// all sharing Postgres (and the data directory for the files).
import assert from 'node:assert/strict';
import { slixProfile } from '../../harness/profile.ts';
import { SlixClient } from '../../harness/slix.ts';
import { XmppJsClient, xml } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import { type Scenario, UPLOAD_EDGE } from '../shared.ts';

export async function profilesAcrossProcesses({ cluster, user, addUsers }: Scenario): Promise<void> {
  const open: Array<{ stop(): Promise<void> }> = [];
  try {
    const [aJid, bJid] = await addUsers(['alice', 'bob']);
    // The edge whose HTTP port the upload URLs name.
    const edge = cluster.edges().find((e) => e.name === UPLOAD_EDGE);
    assert.ok(edge);
    const alice = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: user('alice'), password: password(user('alice')), resource: 'js', fingerprint: edge.fingerprint });
    open.push(alice);
    const bob = await SlixClient.connect({ jid: `${bJid}/slix`, password: password(user('bob')), port: edge.c2s, mech: 'SCRAM-SHA-256' });
    open.push(bob);

    // XEP-0054: stored by bob's actor, read by alice's request at bob's actor, both in Postgres.
    await slixProfile(bob).vcardSet({ fn: 'Bob in a cluster' });
    const card = await alice.iq(xml('iq', { type: 'get', to: bJid }, xml('vCard', { xmlns: 'vcard-temp' })));
    assert.equal(card.getChild('vCard', 'vcard-temp')?.getChildText('FN'), 'Bob in a cluster');
    await bob.block(aJid!);
    await assert.rejects(alice.iq(xml('iq', { type: 'get', to: bJid }, xml('vCard', { xmlns: 'vcard-temp' }))), (e: { condition?: string }) => e.condition === 'item-not-found');

    // XEP-0363: the slot comes from a session process, the PUT and GET go to the edge.
    const slot = (
      await alice.iq(xml('iq', { type: 'get', to: DOMAIN }, xml('request', { xmlns: 'urn:xmpp:http:upload:0', filename: 'cluster.txt', size: '6', 'content-type': 'text/plain' })))
    ).getChild('slot', 'urn:xmpp:http:upload:0')!;
    const put = slot.getChild('put')!;
    assert.equal((await fetch(put.attrs.url!, { method: 'PUT', body: 'shared', headers: { 'content-type': 'text/plain', authorization: put.getChildText('header')! } })).status, 201);
    const got = await fetch(slot.getChild('get')!.attrs.url!);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), 'shared');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');

    const up = await slixProfile(bob).upload('from-bob.txt', Buffer.from('slixmpp in a cluster'), 'text/plain');
    assert.equal(await (await fetch(up.url)).text(), 'slixmpp in a cluster');
  } finally {
    await Promise.all(open.map((c) => c.stop()));
  }
}
