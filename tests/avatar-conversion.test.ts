// XEP-0398 avatar conversion with real clients: slixmpp publishes a XEP-0084 avatar and xmpp.js reads
// it as a vCard-temp PHOTO and sees its hash in presence; a slixmpp vCard photo reaches a +notify
// contact as XEP-0084 metadata; the presence rules of §4 and the account's disco feature; the hash in
// an occupant's room presence, where clients take room avatars from.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { type Account, castPerFile } from './harness/cast.ts';
import { createRoom, join } from './harness/muc.ts';
import { slixProfile } from './harness/profile.ts';
import { befriend, eventsIn, fetchAvatar, interest, nextEvent, publishAvatar } from './harness/slix-pep.ts';
import { xml, type XmlElement, type XmppJsClient } from './harness/xmppjs.ts';

const T = { timeout: 40_000 };
const cast = castPerFile({ vcardMaxBytes: 16384, mucCreators: 'local' });
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
const SHA1 = createHash('sha1').update(PNG).digest('hex');
const UPDATE = 'vcard-temp:x:update';
const METADATA = 'urn:xmpp:avatar:metadata';

const vcardOf = async (c: XmppJsClient, to: string) => (await c.iq(xml('iq', { type: 'get', to }, xml('vCard', { xmlns: 'vcard-temp' })))).getChild('vCard', 'vcard-temp');
const photoIn = (p: XmlElement) => p.getChild('x', UPDATE)?.getChild('photo');

/** `watcher` (xmpp.js) subscribes to `owner`'s presence and `approve` accepts (RFC 6121 §3.1). */
async function watch(watcher: XmppJsClient, w: Account, owner: Account, approve: () => Promise<unknown>, request: () => Promise<unknown>) {
  await watcher.send(xml('presence'));
  await watcher.send(xml('presence', { to: owner.jid, type: 'subscribe' }));
  await request();
  await approve();
  await watcher.presence(owner.jid, 'subscribed', `${w.user} approved`);
}

/** The next presence from `from` with this status, as `c` receives it. */
const presenceWith = (c: XmppJsClient, from: string, status: string) =>
  c.next((el) => el.is('presence') && (el.attrs.from ?? '').startsWith(`${from}/`) && el.getChildText('status') === status, `presence "${status}"`);

describe('XEP-0398 avatar conversion', () => {
  test('an avatar slixmpp publishes with xep_0084 becomes the vCard photo xmpp.js reads, beside the other fields, and its hash is in her presence', T, async () => {
    const [a, b] = await Promise.all([cast.account('avpa'), cast.account('avpb')]);
    const alice = await cast.slix(a);
    const bob = await cast.xmppjs(b);
    await watch(bob, b, a, () => alice.approve(b.jid), () => alice.presence((p) => p.type === 'subscribe', 'the request'));
    await slixProfile(alice).vcardSet({ fn: 'Alice Avatar' });
    assert.equal((await vcardOf(bob, a.jid))?.getChild('PHOTO'), undefined);

    assert.equal(await publishAvatar(alice, PNG, 'image/png'), SHA1);
    await alice.getRoster(); // her presence actor has finished the publish and its conversion
    const card = await vcardOf(bob, a.jid);
    assert.equal(card?.getChildText('FN'), 'Alice Avatar', 'the fields she set are kept');
    assert.equal(card?.getChild('PHOTO')?.getChildText('TYPE'), 'image/png');
    assert.equal(card?.getChild('PHOTO')?.getChildText('BINVAL'), PNG.toString('base64'));
    assert.equal((await slixProfile(alice).vcardGet()).photo, PNG.toString('base64'), 'slixmpp reads its own vCard photo');

    // §4: slixmpp's plain presence (it adds no XEP-0153 element) reaches bob with the hash.
    await alice.sendPresence({ status: 'with avatar' });
    const p = await presenceWith(bob, a.jid, 'with avatar');
    assert.equal(photoIn(p)?.text(), SHA1);
  });

  test('a vCard photo slixmpp sets with xep_0054 is published over PEP: a +notify contact gets the metadata once and fetches the image', T, async () => {
    const [a, b] = await Promise.all([cast.account('avva'), cast.account('avvb')]);
    const [alice, bob] = await Promise.all([cast.slix(a), cast.slix(b)]);
    await interest(bob, METADATA);
    await befriend(bob, b.jid, alice, a.jid);
    await slixProfile(alice).vcardSet({ fn: 'Alice', photo: PNG.toString('base64') });
    const ev = await nextEvent(bob, (e) => e.node === METADATA && e.kind === 'item', 'the avatar metadata');
    assert.equal(ev.from, a.jid);
    assert.equal(ev.item_id, SHA1, 'XEP-0398 §3.2: the item id is the SHA-1 of the image');
    assert.match(ev.payload ?? '', new RegExp(`info [^>]*id="${SHA1}"`));
    assert.match(ev.payload ?? '', /type="image\/png"/);
    assert.match(ev.payload ?? '', new RegExp(`bytes="${PNG.length}"`));
    assert.equal(await fetchAvatar(bob, a.jid, SHA1), PNG.toString('base64'));

    // The same photo again, then the converted avatar's own notification round: nothing more, no loop.
    await slixProfile(alice).vcardSet({ fn: 'Alice again', photo: PNG.toString('base64') });
    await alice.getRoster();
    await bob.ping();
    assert.deepEqual(eventsIn(bob, METADATA), []);
    assert.equal((await slixProfile(alice).vcardGet()).fn, 'Alice again', 'the vCard is the one she set, not rewritten by the conversion');
  });

  test('presence (§4): an empty photo is left alone, an empty x and a stale hash are replaced, directed presence carries the hash; no avatar, nothing added', T, async () => {
    const [a, b, c] = await Promise.all([cast.account('avxa'), cast.account('avxb'), cast.account('avxc')]);
    const [alice, bob, carol] = await Promise.all([cast.xmppjs(a), cast.xmppjs(b), cast.xmppjs(c)]);
    await Promise.all([alice.send(xml('presence')), carol.send(xml('presence'))]);
    await watch(bob, b, a, () => alice.send(xml('presence', { to: b.jid, type: 'subscribed' })), () => alice.presence(b.jid, 'subscribe', 'the request'));
    // §2: the feature is on the account.
    const info = await alice.iq(xml('iq', { type: 'get', to: a.jid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(info.getChild('query')?.getChildren('feature').some((f) => f.attrs.var === 'urn:xmpp:pep-vcard-conversion:0'));

    await alice.send(xml('presence', {}, xml('status', {}, 'none yet'), xml('x', { xmlns: UPDATE })));
    assert.equal(photoIn(await presenceWith(bob, a.jid, 'none yet'))?.text(), '', 'an empty x becomes "no avatar" while she has none');
    await alice.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PNG.toString('base64'))))));

    const sent = async (status: string, ...extra: XmlElement[]) => {
      await alice.send(xml('presence', {}, xml('status', {}, status), ...extra));
      return presenceWith(bob, a.jid, status);
    };
    assert.equal(photoIn(await sent('plain'))?.text(), SHA1);
    assert.equal(photoIn(await sent('empty x', xml('x', { xmlns: UPDATE })))?.text(), SHA1);
    assert.equal(photoIn(await sent('stale', xml('x', { xmlns: UPDATE }, xml('photo', {}, 'deadbeef'))))?.text(), SHA1);
    const untouched = await sent('no avatar here', xml('x', { xmlns: UPDATE }, xml('photo')));
    assert.equal(photoIn(untouched)?.text(), '', "the client's empty photo stays");
    assert.equal(untouched.getChildren('x').length, 1);

    // Directed presence to someone who is not subscribed carries it too (§4); carol, with no avatar, adds nothing.
    await alice.send(xml('presence', { to: c.jid }, xml('status', {}, 'directed')));
    assert.equal(photoIn(await presenceWith(carol, a.jid, 'directed'))?.text(), SHA1);
    await carol.send(xml('presence', { to: a.jid }, xml('status', {}, 'from carol')));
    assert.equal((await presenceWith(alice, c.jid, 'from carol')).getChild('x', UPDATE), undefined);

    // XEP-0084 §4.6: empty metadata disables the avatar; the vCard photo goes, the hash with it.
    await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('publish', { node: METADATA }, xml('item', { id: 'none' }, xml('metadata', { xmlns: METADATA }))))));
    await alice.rosterGet();
    assert.equal((await vcardOf(bob, a.jid))?.getChild('PHOTO'), undefined);
    assert.equal(photoIn(await sent('disabled'))?.text(), undefined);
  });

  test('an occupant with a vCard photo is seen in a room with its hash although her client sent none, in every presence she sends there', T, async () => {
    const [a, b] = await Promise.all([cast.account('avra'), cast.account('avrb')]);
    const [alice, bob] = await Promise.all([cast.xmppjs(a), cast.xmppjs(b)]);
    await alice.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, PNG.toString('base64'))))));
    const room = `avatars-${a.user}@conference.${cast.server().domain}`;
    await createRoom(bob, room, 'bob');
    // Presence to a room goes to the room, not through her presence actor: the room adds the hash
    // (XEP-0398 §4), and Conversations and Gajim show the occupant's avatar from it (XEP-0153 §3.1).
    const self = await join(alice, room, 'alice');
    assert.equal(photoIn(self)?.text(), SHA1, 'her own join presence');
    const entered = await bob.next((p) => p.is('presence') && p.attrs.from === `${room}/alice` && p.attrs.type === undefined, 'alice entering');
    assert.equal(photoIn(entered)?.text(), SHA1, 'the others see it');
    await alice.send(xml('presence', { to: `${room}/alice` }, xml('status', {}, 'in a meeting'), xml('x', { xmlns: UPDATE }, xml('photo', {}, 'deadbeef'))));
    const changed = await presenceWith(bob, room, 'in a meeting');
    assert.equal(photoIn(changed)?.text(), SHA1, 'a stale hash is replaced');
    assert.equal(changed.getChildren('x', UPDATE).length, 1);
    // Bob has no photo: his presence in the room gets nothing added.
    const bobSeen = await alice.next((p) => p.is('presence') && p.attrs.from === `${room}/bob`, 'bob in the room');
    assert.equal(bobSeen.getChild('x', UPDATE), undefined);
  });
});
