// XEP-0379 pre-authenticated subscriptions with real clients: an administrator invites Bob to be
// Alice's contact (`parley invite`); Bob's xmpp.js subscribes with the token and both end up
// subscribed to each other without Alice (slixmpp) being asked. A spent token is an ordinary request.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createInvitation } from '@parley/admin';
import { castPerFile } from './harness/cast.ts';
import { flush } from './harness/flush.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile();
const tokenOf = (uri: string) => uri.split('preauth=')[1] ?? '';

describe('invitations (XEP-0379)', () => {
  test('Bob subscribes with Alice’s invitation: mutual subscription without asking Alice; a second use is an ordinary request', T, async () => {
    const [a, b, c] = [await cast.account('invalice'), await cast.account('invbob'), await cast.account('invcarol')];
    const server = cast.server();
    const inv = await createInvitation(server.server.store, { domain: server.domain, scramIterations: 4096 }, a.jid, { ttlMs: 3_600_000, createdBy: 'test' });
    assert.equal(inv.uri, `xmpp:${a.jid}?roster;preauth=${inv.token}`);
    const alice = await cast.slix(a);
    const bob = await cast.xmppjs(b);
    await bob.send(xml('presence'));

    await bob.send(xml('presence', { to: a.jid, type: 'subscribe' }, xml('preauth', { xmlns: 'urn:xmpp:pars:0', token: tokenOf(inv.uri) })));
    await bob.next((e) => e.is('presence') && e.attrs.type === 'subscribed' && e.attrs.from === a.jid, 'approved on Alice’s behalf');
    await bob.presence(alice.jid, undefined, 'Alice’s presence');
    await alice.presence((p) => p.type === 'available' && p.from.startsWith(b.jid), 'Bob’s presence: her request back was approved by his server');
    const aliceRoster = await alice.getRoster();
    assert.deepEqual(aliceRoster.map((i) => [i.jid, i.subscription]), [[b.jid, 'both']]);
    const bobRoster = await bob.rosterGet();
    const bobItem = bobRoster.getChild('query', 'jabber:iq:roster')?.getChild('item');
    assert.equal(bobItem?.attrs.jid, a.jid);
    assert.equal(bobItem?.attrs.subscription, 'both');
    await flush(alice);
    const seen = await alice.traffic();
    assert.ok(!seen.received.some((s) => s.includes('type="subscribe"') && s.includes(`from="${b.jid}"`)), 'Alice was never asked');

    // The token is spent: Carol's request with it reaches Alice as an ordinary one.
    const carol = await cast.xmppjs(c);
    await carol.send(xml('presence', { to: a.jid, type: 'subscribe' }, xml('preauth', { xmlns: 'urn:xmpp:pars:0', token: tokenOf(inv.uri) })));
    await alice.presence((p) => p.type === 'subscribe' && p.from === c.jid, 'Carol’s ordinary request');
    await flush(carol);
    assert.ok(!carol.received.some((s) => s.includes('type="subscribed"')), 'not approved');
  });
});
