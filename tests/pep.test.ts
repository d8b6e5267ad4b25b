// Personal eventing (XEP-0163) with xmpp.js: +notify interest from entity capabilities decides who
// hears of a publish; access models decide who may fetch; the last item reaches a contact who logs in.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { castPerFile } from './harness/cast.ts';
import { advertiseCaps, eventItems, eventsIn, iqError, items, NS_OWNER, nextEvent, publish, subscribe } from './harness/pep.ts';
import { xml } from './harness/xmppjs.ts';

const T = { timeout: 30_000 };
const cast = castPerFile();
const TUNE = 'http://jabber.org/protocol/tune';
const tune = (title: string) => xml('tune', { xmlns: TUNE }, xml('title', {}, title));
/** Proves an event did not reach `receiver`: the publisher's presence actor finished, then the receiver's connection is flushed. */
const settle = async (publisher: { rosterGet(): Promise<unknown> }, receiver: { ping(): Promise<void> }) => {
  await publisher.rosterGet();
  await receiver.ping();
};

describe('PEP (XEP-0163) with xmpp.js', () => {
  test('a publish reaches a contact and the own resource with +notify, not a non-contact nor a contact without it', T, async () => {
    const [a, b, c, d] = await Promise.all([cast.account('pepa'), cast.account('pepb'), cast.account('pepc'), cast.account('pepd')]);
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    const carol = await cast.xmppjs(c);
    const dave = await cast.xmppjs(d);
    await advertiseCaps(alice, [`${TUNE}+notify`]);
    await advertiseCaps(bob, [`${TUNE}+notify`]);
    await advertiseCaps(carol, [`${TUNE}+notify`]);
    await advertiseCaps(dave, ['urn:xmpp:avatar:metadata+notify']);
    await subscribe(bob, b.jid, alice, a.jid);
    await subscribe(dave, d.jid, alice, a.jid);

    const r = await publish(alice, TUNE, 'song1', tune('Yesterday'));
    assert.equal(r.getChild('pubsub')?.getChild('publish')?.getChild('item')?.attrs.id, 'song1');
    const ev = await nextEvent(bob, a.jid, TUNE, 'the tune event');
    assert.equal(ev.attrs.type, 'headline');
    assert.equal(eventItems(ev)?.getChild('item')?.getChild('tune', TUNE)?.getChildText('title'), 'Yesterday');
    await nextEvent(alice, a.jid, TUNE, 'the event on the own resource');
    await settle(alice, carol);
    await settle(alice, dave);
    assert.deepEqual(eventsIn(carol, TUNE), []);
    assert.deepEqual(eventsIn(dave, TUNE), []);

    // XEP-0060 §6.5: the contact fetches; the stranger is refused by the presence access model.
    assert.equal((await items(bob, a.jid, TUNE))[0]?.attrs.id, 'song1');
    assert.deepEqual(await iqError(items(carol, a.jid, TUNE)), { condition: 'not-authorized', app: 'presence-subscription-required' });
  });

  test('retract notifies, max_items and ids select items, publish-options preconditions are enforced', T, async () => {
    const [a, b] = await Promise.all([cast.account('pepa'), cast.account('pepb')]);
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    await alice.send(xml('presence'));
    await advertiseCaps(bob, ['urn:xmpp:test:list+notify']);
    await subscribe(bob, b.jid, alice, a.jid);
    const node = 'urn:xmpp:test:list';
    const opts = { 'pubsub#max_items': '10', 'pubsub#access_model': 'presence' };
    for (const id of ['one', 'two', 'three']) await publish(alice, node, id, xml('entry', { xmlns: node }, id), opts);
    assert.deepEqual((await items(bob, a.jid, node)).map((i) => i.attrs.id), ['three', 'two', 'one']);
    assert.deepEqual((await items(bob, a.jid, node, { max_items: '1' })).map((i) => i.attrs.id), ['three']);
    assert.deepEqual((await items(bob, a.jid, node, {}, ['one'])).map((i) => i.attrs.id), ['one']);

    // §7.1.5: the node exists with another access model: conflict, precondition-not-met.
    assert.deepEqual(await iqError(publish(alice, node, 'four', xml('entry', { xmlns: node }), { 'pubsub#access_model': 'open' })), { condition: 'conflict', app: 'precondition-not-met' });
    // Only the owner publishes.
    assert.equal((await iqError(bob.iq(xml('iq', { type: 'set', to: a.jid }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('publish', { node }, xml('item', {}, xml('x', { xmlns: 'urn:x' })))))))).condition, 'forbidden');

    await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('retract', { node, notify: 'true' }, xml('item', { id: 'two' })))));
    const ev = await bob.next((e) => e.is('message') && !!eventItems(e)?.getChild('retract'), 'the retraction');
    assert.equal(eventItems(ev)?.getChild('retract')?.attrs.id, 'two');
    assert.deepEqual((await items(alice, undefined, node)).map((i) => i.attrs.id), ['three', 'one']);

    // §8.4: deleting the node; then it is gone.
    await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_OWNER }, xml('delete', { node }))));
    await bob.next((e) => e.is('message') && e.getChild('event', 'http://jabber.org/protocol/pubsub#event')?.getChild('delete')?.attrs.node === node, 'the deletion');
    assert.equal((await iqError(items(bob, a.jid, node))).condition, 'item-not-found');
  });

  test('the whitelist access model admits only the owner and members', T, async () => {
    const [a, b] = await Promise.all([cast.account('pepa'), cast.account('pepb')]);
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    await alice.send(xml('presence'));
    await advertiseCaps(bob, ['urn:xmpp:test:secret+notify']);
    await subscribe(bob, b.jid, alice, a.jid);
    const node = 'urn:xmpp:test:secret';
    await publish(alice, node, 'x', xml('secret', { xmlns: node }, 'psst'), { 'pubsub#access_model': 'whitelist' });
    await settle(alice, bob);
    assert.deepEqual(eventsIn(bob, node), []);
    assert.deepEqual(await iqError(items(bob, a.jid, node)), { condition: 'not-allowed', app: 'closed-node' });

    await alice.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_OWNER }, xml('affiliations', { node }, xml('affiliation', { jid: b.jid, affiliation: 'member' })))));
    assert.equal((await items(bob, a.jid, node))[0]?.getChild('secret')?.text(), 'psst');
    await publish(alice, node, 'y', xml('secret', { xmlns: node }, 'again'));
    await nextEvent(bob, a.jid, node, 'the member hearing of it');
  });

  test('a contact logging in with +notify gets the last published item', T, async () => {
    const [a, b] = await Promise.all([cast.account('pepa'), cast.account('pepb')]);
    const alice = await cast.xmppjs(a);
    const bob1 = await cast.xmppjs(b, 'first');
    await alice.send(xml('presence'));
    await bob1.send(xml('presence'));
    await subscribe(bob1, b.jid, alice, a.jid);
    await publish(alice, TUNE, 'old', tune('Old song'));
    await publish(alice, TUNE, 'new', tune('New song'));
    await bob1.stop();
    const bob = await cast.xmppjs(b, 'second');
    await advertiseCaps(bob, [`${TUNE}+notify`]);
    const ev = await nextEvent(bob, a.jid, TUNE, 'the last tune');
    assert.equal(eventItems(ev)?.getChild('item')?.attrs.id, 'new');
    assert.ok(ev.getChild('delay', 'urn:xmpp:delay'));
    assert.equal(eventItems(ev)?.getChildren('item').length, 1);
  });

  test('a contact the owner blocked (XEP-0191) hears nothing and cannot fetch', T, async () => {
    const [a, b] = await Promise.all([cast.account('pepa'), cast.account('pepb')]);
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    await alice.send(xml('presence'));
    await advertiseCaps(bob, [`${TUNE}+notify`]);
    await subscribe(bob, b.jid, alice, a.jid);
    await publish(alice, TUNE, 'before', tune('Before'));
    await nextEvent(bob, a.jid, TUNE, 'the tune before the block');
    await alice.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: b.jid }))));
    await publish(alice, TUNE, 'after', tune('After'));
    await settle(alice, bob);
    assert.deepEqual(eventsIn(bob, TUNE), []);
    assert.equal((await iqError(items(bob, a.jid, TUNE))).condition, 'service-unavailable');
  });

  test('a new contact with +notify gets the last item once the subscription is approved', T, async () => {
    const [a, b] = await Promise.all([cast.account('pepa'), cast.account('pepb')]);
    const alice = await cast.xmppjs(a);
    const bob = await cast.xmppjs(b);
    await alice.send(xml('presence'));
    await publish(alice, TUNE, 'playing', tune('Now playing'));
    await advertiseCaps(bob, [`${TUNE}+notify`]);
    await settle(alice, bob);
    assert.deepEqual(eventsIn(bob, TUNE), []);
    await subscribe(bob, b.jid, alice, a.jid);
    const ev = await nextEvent(bob, a.jid, TUNE, 'the last tune of the new contact');
    assert.equal(eventItems(ev)?.getChild('item')?.attrs.id, 'playing');
  });

  test('a resource already online that adds +notify through a caps change gets the last item', T, async () => {
    const [a, b] = await Promise.all([cast.account('pepa'), cast.account('pepb')]);
    const alice = await cast.xmppjs(a);
    const phone = await cast.xmppjs(b, 'phone');
    await alice.send(xml('presence'));
    const ver = await advertiseCaps(phone, [`${TUNE}+notify`]);
    await subscribe(phone, b.jid, alice, a.jid);
    await publish(alice, TUNE, 'now', tune('Now'));
    await nextEvent(phone, a.jid, TUNE, 'the tune on the phone');
    const laptop = await cast.xmppjs(b, 'laptop');
    await laptop.send(xml('presence'));
    await settle(alice, laptop);
    assert.deepEqual(eventsIn(laptop, TUNE), []);
    // The laptop now shows the phone's (already verified) caps: it newly wants tunes.
    await laptop.send(xml('presence', {}, xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: 'https://parley.test/xmppjs', ver })));
    const ev = await nextEvent(laptop, a.jid, TUNE, 'the last tune after the caps change');
    assert.equal(eventItems(ev)?.getChild('item')?.attrs.id, 'now');
  });
});
