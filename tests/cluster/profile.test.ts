// Profiles in cluster mode: vCards (XEP-0054) and HTTP upload (XEP-0363) when the actors that
// answer the IQs run in session processes and the files are PUT to and served by an edge process,
// all sharing Postgres (and the data directory for the files).
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { slixProfile } from '../harness/profile.ts';
import { SlixClient } from '../harness/slix.ts';
import { XmppJsClient, xml } from '../harness/xmppjs.ts';
import { DOMAIN, password, TestCluster } from './harness.ts';

/** A free TCP port: the edge's HTTP port must be known before it starts, to be the upload URL. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

test('vCards and uploads work across session and edge processes', { timeout: 120_000 }, async () => {
  const http = await freePort();
  const cluster = await TestCluster.start({
    edges: 1,
    sessions: 2,
    presences: 1,
    label: 'profile',
    env: { PARLEY_UPLOAD_ENABLED: 'true', PARLEY_HTTP_PORT: String(http), PARLEY_UPLOAD_PUBLIC_URL: `http://127.0.0.1:${http}`, PARLEY_UPLOAD_MAX_FILE_BYTES: '4096' },
  });
  const open: Array<{ stop(): Promise<void> }> = [];
  try {
    const [aJid, bJid] = await cluster.addUsers(['alice', 'bob']);
    const [edge] = cluster.edges();
    assert.ok(edge);
    const alice = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: 'alice', password: password('alice'), resource: 'js', fingerprint: edge.fingerprint });
    open.push(alice);
    const bob = await SlixClient.connect({ jid: `${bJid}/slix`, password: password('bob'), port: edge.c2s, mech: 'SCRAM-SHA-256' });
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
    await cluster.stop();
  }
});
