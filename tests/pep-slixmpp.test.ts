// Personal eventing with slixmpp's own plugins (xep_0060, xep_0115, xep_0163, xep_0084, xep_0172):
// notifications follow its entity capabilities, avatars and nicknames round-trip, bookmarks reach
// the other resource, the last item comes with a login.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { befriend, discoItems, eventsIn, fetchAvatar, interest, items, nextEvent, publish, publishAvatar, publishNick, retract } from './harness/slix-pep.ts';

const T = { timeout: 40_000 };
const cast = castPerFile();
const TUNE = 'http://jabber.org/protocol/tune';

describe('PEP (XEP-0163) with slixmpp', () => {
  test('a tune reaches the contact with +notify and not a stranger; retraction follows', T, async () => {
    const [a, b, c] = await Promise.all([cast.account('slpa'), cast.account('slpb'), cast.account('slpc')]);
    const [alice, bob, carol] = await Promise.all([cast.slix(a), cast.slix(b), cast.slix(c)]);
    await interest(bob, TUNE);
    await interest(carol, TUNE);
    await befriend(bob, b.jid, alice, a.jid);
    const id = await publish(alice, TUNE, 't1', `<tune xmlns='${TUNE}'><artist>Yes</artist><title>Heart of the Sunrise</title></tune>`);
    assert.equal(id, 't1');
    const ev = await nextEvent(bob, (e) => e.node === TUNE && e.kind === 'item', 'the tune');
    assert.equal(ev.from, a.jid);
    assert.match(ev.payload ?? '', /Heart of the Sunrise/);
    await alice.getRoster(); // alice's presence actor is done with the publish
    await carol.ping();
    assert.deepEqual(eventsIn(carol, TUNE), []);
    await retract(alice, TUNE, 't1');
    const gone = await nextEvent(bob, (e) => e.node === TUNE && e.kind === 'retract', 'the retraction');
    assert.equal(gone.item_id, 't1');
    assert.deepEqual(await items(bob, a.jid, TUNE), []);
  });

  test('an avatar published with xep_0084 is announced to a contact who fetches it, and a nickname with xep_0172', T, async () => {
    const [a, b] = await Promise.all([cast.account('slava'), cast.account('slavb')]);
    const [alice, bob] = await Promise.all([cast.slix(a), cast.slix(b)]);
    await interest(bob, 'urn:xmpp:avatar:metadata', 'http://jabber.org/protocol/nick');
    await befriend(bob, b.jid, alice, a.jid);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    const id = await publishAvatar(alice, png, 'image/png');
    const meta = await nextEvent(bob, (e) => e.node === 'urn:xmpp:avatar:metadata', 'the avatar metadata');
    assert.equal(meta.item_id, id);
    assert.match(meta.payload ?? '', new RegExp(`id="${id}"`));
    assert.equal(await fetchAvatar(bob, a.jid, id), png.toString('base64'));
    await publishNick(alice, 'Ally');
    const nick = await nextEvent(bob, (e) => e.node === 'http://jabber.org/protocol/nick', 'the nickname');
    assert.match(nick.payload ?? '', />Ally</);
  });

  test('disco#items lists the nodes and items each requester may retrieve: the owner all, a contact the presence node, a stranger only the open one', T, async () => {
    const [a, b, c] = await Promise.all([cast.account('sldia'), cast.account('sldib'), cast.account('sldic')]);
    const [alice, bob, carol] = await Promise.all([cast.slix(a), cast.slix(b), cast.slix(c)]);
    await befriend(bob, b.jid, alice, a.jid);
    const OPEN = 'urn:example:status';
    const SECRET = 'urn:example:secret';
    await publish(alice, TUNE, 't1', `<tune xmlns='${TUNE}'><title>Roundabout</title></tune>`);
    await publish(alice, TUNE, 't2', `<tune xmlns='${TUNE}'><title>South Side of the Sky</title></tune>`);
    const open = { 'pubsub#access_model': 'open', 'pubsub#max_items': '10' };
    await publish(alice, OPEN, 'o1', `<status xmlns='${OPEN}'>out</status>`, open);
    await publish(alice, OPEN, 'o2', `<status xmlns='${OPEN}'>back</status>`, open);
    await publish(alice, SECRET, 's1', `<secret xmlns='${SECRET}'>x</secret>`, { 'pubsub#access_model': 'whitelist' });
    const nodes = async (who: typeof alice) => (await discoItems(who, a.jid)).map((i) => `${i.jid} ${i.node}`).sort();
    assert.deepEqual(await nodes(alice), [OPEN, SECRET, TUNE].map((n) => `${a.jid} ${n}`).sort());
    assert.deepEqual(await nodes(bob), [OPEN, TUNE].map((n) => `${a.jid} ${n}`).sort(), 'a contact with a presence subscription');
    assert.deepEqual(await nodes(carol), [`${a.jid} ${OPEN}`], 'a stranger');
    // XEP-0060 §5.5: a node's items, the item id as the name, under the same access rules.
    assert.deepEqual((await discoItems(bob, a.jid, TUNE)).map((i) => `${i.jid} ${i.name}`), [`${a.jid} t2`], 'a PEP node keeps its last item by default');
    assert.deepEqual((await discoItems(carol, a.jid, OPEN)).map((i) => i.name).sort(), ['o1', 'o2']);
    const notFound = (e: { condition?: string }) => e.condition === 'item-not-found';
    await assert.rejects(discoItems(carol, a.jid, TUNE), notFound, 'a stranger cannot tell the presence node exists');
    await assert.rejects(discoItems(bob, a.jid, SECRET), notFound, 'nor a contact the whitelist node');
    await assert.rejects(discoItems(carol, a.jid, 'urn:example:none'), notFound, 'the same answer as a node that does not exist');
    assert.deepEqual((await discoItems(alice, a.jid, SECRET)).map((i) => i.name), ['s1']);
  });

  test('bookmarks published on one resource reach the other resource of the same account', T, async () => {
    const a = await cast.account('slbk');
    const desktop = await cast.slix(a, 'desktop');
    const mobile = await cast.slix(a, 'mobile');
    await interest(mobile, 'urn:xmpp:bookmarks:1');
    const conference = `<conference xmlns='urn:xmpp:bookmarks:1' name='Coven' autojoin='true'><nick>witch</nick></conference>`;
    await publish(desktop, 'urn:xmpp:bookmarks:1', 'coven@chat.shakespeare.lit', conference, {
      'pubsub#persist_items': 'true',
      'pubsub#max_items': 'max',
      'pubsub#send_last_published_item': 'never',
      'pubsub#access_model': 'whitelist',
    });
    const ev = await nextEvent(mobile, (e) => e.node === 'urn:xmpp:bookmarks:1', 'the bookmark');
    assert.equal(ev.item_id, 'coven@chat.shakespeare.lit');
    assert.deepEqual((await items(mobile, undefined, 'urn:xmpp:bookmarks:1')).map((i) => i.id), ['coven@chat.shakespeare.lit']);
  });

  test('a contact who logs in with +notify gets the last tune, stamped as delayed', T, async () => {
    const [a, b] = await Promise.all([cast.account('sllast'), cast.account('sllastb')]);
    const alice = await cast.slix(a);
    const bob1 = await cast.slix(b, 'one');
    await befriend(bob1, b.jid, alice, a.jid);
    await publish(alice, TUNE, 'first', `<tune xmlns='${TUNE}'><title>First</title></tune>`);
    await publish(alice, TUNE, 'second', `<tune xmlns='${TUNE}'><title>Second</title></tune>`);
    await bob1.stop();
    const bob = await cast.slix(b, 'two');
    await interest(bob, TUNE);
    const ev = await nextEvent(bob, (e) => e.node === TUNE, 'the last tune');
    assert.deepEqual([ev.item_id, ev.delayed], ['second', true]);
  });
});
