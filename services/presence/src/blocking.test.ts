// XEP-0191 blocking through the actors: the blocklist IQs and pushes, the unavailable presence on
// block (§3.3), what a blocked contact can no longer send or see, online and offline, and the
// not-acceptable answer when the blocker writes to the blocked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, errorCondition, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const NS = 'urn:xmpp:blocking';

const listed = (iq: Element | undefined) => iq?.getChild('blocklist', NS)?.getChildren('item').map((i) => i.attr('jid')) ?? [];
const block = (s: Scene, who: Resource, ...jids: string[]) =>
  s.stanza('presence', who.bare, `<iq type="set" id="b"><block xmlns="${NS}">${jids.map((j) => `<item jid="${j}"/>`).join('')}</block></iq>`, who);
const types = (stanzas: Element[]) => stanzas.map((m) => `${m.name}:${m.attr('type') ?? 'available'}`);

describe('blocking (XEP-0191) in the actors', () => {
  test('the blocklist starts empty; a block is answered, pushed to the resources that asked for the list, and listed (§3.2-3.3)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const aliceLaptop = await s.online(alice, 'laptop', edge);
    await s.stanza('presence', alice, `<iq type="get" id="l1"><blocklist xmlns="${NS}"/></iq>`, alicePhone);
    const [empty] = s.received(alicePhone);
    assert.deepEqual([empty?.attr('type'), listed(empty)], ['result', []]);
    s.forget();

    await block(s, alicePhone, bob);

    const [result, push, listPush] = s.received(alicePhone);
    assert.equal(result?.attr('type'), 'result');
    assert.deepEqual([push?.attr('type'), push?.getChild('block', NS)?.getChild('item')?.attr('jid')], ['set', bob]);
    assert.equal(listPush?.getChild('query', 'jabber:iq:privacy')?.getChild('list')?.attr('name'), 'urn:xmpp:blocking', 'XEP-0016 §2.2 rule 10 list push');
    assert.deepEqual(s.received(aliceLaptop).map((m) => m.getChildElements()[0]?.getNS()), ['jabber:iq:privacy'], 'the laptop never asked for the blocklist');
    s.forget();
    await s.stanza('presence', alice, `<iq type="get" id="l2"><blocklist xmlns="${NS}"/></iq>`, aliceLaptop);
    assert.deepEqual(listed(s.received(aliceLaptop)[0]), [bob]);
  });

  test('a block without items is bad-request and an item that is not a JID is jid-malformed (§3.3)', async () => {
    const { s, alice, alicePhone } = await world.aliceAndBob();
    await s.stanza('presence', alice, `<iq type="set" id="e1"><block xmlns="${NS}"/></iq>`, alicePhone);
    await s.stanza('presence', alice, `<iq type="set" id="e2"><block xmlns="${NS}"><item jid="a@b@c"/></block></iq>`, alicePhone);
    await s.stanza('presence', alice, `<iq type="set" id="e3"><unblock xmlns="${NS}"><item/></unblock></iq>`, alicePhone);
    assert.deepEqual(s.received(alicePhone).map(errorCondition), ['bad-request', 'jid-malformed', 'jid-malformed']);
  });

  test('a subscriber who is blocked gets unavailable at once, then none of her presence (§3.3)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    assert.deepEqual(types(s.received(bobPhone)), ['presence:available']);
    s.forget();

    await block(s, alicePhone, bob);
    assert.deepEqual(types(s.received(bobPhone)), ['presence:unavailable']);
    s.forget();

    await s.stanza('presence', alice, '<presence><show>away</show></presence>', alicePhone);
    const bobLaptop = await s.online(bob, 'laptop', edge, { available: false });
    await s.stanza('presence', bob, '<presence/>', bobLaptop);
    assert.deepEqual(s.received(bobPhone).filter((m) => m.attr('from')?.startsWith(alice)), [], 'no broadcast');
    assert.deepEqual(s.received(bobLaptop).filter((m) => m.attr('from')?.startsWith(alice)), [], 'no probe answer');
  });

  test('a blocked contact reaches nothing: messages and IQs get service-unavailable, IQ results and subscriptions vanish', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await block(s, alicePhone, bob);
    s.forget();

    await s.stanza('session', alice, `<message type="chat" to="${alice}" id="m1"><body>hi</body></message>`, bobPhone);
    await s.stanza('session', alice, `<iq type="get" to="${alicePhone.jid}" id="i1"><ping xmlns="urn:xmpp:ping"/></iq>`, bobPhone);
    await s.stanza('session', alice, `<iq type="get" to="${alice}" id="i2"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`, bobPhone);
    await s.stanza('session', alice, `<iq type="result" to="${alicePhone.jid}" id="i3"/>`, bobPhone);
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    await s.stanza('presence', bob, `<presence to="${alicePhone.jid}"/>`, bobPhone);

    assert.deepEqual(s.received(bobPhone).map((m) => [m.attr('id'), errorCondition(m)]), [
      ['m1', 'service-unavailable'],
      ['i1', 'service-unavailable'],
      ['i2', 'service-unavailable'],
    ]);
    assert.deepEqual(s.received(alicePhone), []);
  });

  test('while the blocker is offline her block still holds, and the message is not stored for later', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    await block(s, alicePhone, bob);
    await s.request('presence', { kind: 'resource-gone', key: alice, jid: alicePhone.jid, conn: alicePhone.conn, edge: alicePhone.edge, available: false });
    await s.location.unregister(alicePhone.jid, alicePhone.conn);
    const bobPhone = await s.online(bob, 'phone', edge);
    s.forget();

    await s.stanza('session', alice, `<message type="chat" to="${alice}" id="m1"><body>hi</body></message>`, bobPhone);
    await s.stanza('presence', bob, `<presence type="subscribe" to="${alice}"/>`, bobPhone);
    assert.deepEqual(s.received(bobPhone).map(errorCondition), ['service-unavailable']);

    const aliceBack = await s.online(alice, 'back', edge, { available: false });
    await s.stanza('presence', alice, '<presence/>', aliceBack);
    assert.deepEqual(s.received(aliceBack).filter((m) => m.name === 'message' || m.attr('type') === 'subscribe'), []);
  });

  test('the blocker cannot write to the blocked: not-acceptable with the blocked condition (§3.3)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await block(s, alicePhone, bob);
    s.forget();

    await s.stanza('session', bob, `<message type="chat" to="${bob}" id="m1"><body>hi</body></message>`, alicePhone);
    await s.stanza('presence', alice, `<presence type="subscribe" to="${bob}" id="p1"/>`, alicePhone);
    await s.stanza('presence', alice, `<presence to="${bobPhone.jid}" id="p2"/>`, alicePhone);

    const errors = s.received(alicePhone);
    assert.deepEqual(errors.map((m) => [m.name, m.attr('id'), errorCondition(m)]), [
      ['message', 'm1', 'not-acceptable'],
      ['presence', 'p1', 'not-acceptable'],
      ['presence', 'p2', 'not-acceptable'],
    ]);
    for (const e of errors) assert.ok(e.getChild('error')?.getChild('blocked', 'urn:xmpp:blocking:errors'));
    assert.deepEqual(s.received(bobPhone), []);
  });

  test('unblocking sends the current presence to a subscriber and lets messages through again; an empty unblock clears the list (§3.4-3.5)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const carol = await s.account('carol');
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.stanza('presence', alice, '<presence><status>here</status></presence>', alicePhone);
    await block(s, alicePhone, bob, carol);
    s.forget();

    await s.stanza('presence', alice, `<iq type="set" id="u1"><unblock xmlns="${NS}"><item jid="${bob}"/></unblock></iq>`, alicePhone);
    assert.deepEqual(s.received(bobPhone).map((m) => m.getChildText('status')), ['here']);
    await s.stanza('session', alice, `<message type="chat" to="${alice}" id="m2"><body>back?</body></message>`, bobPhone);
    assert.deepEqual(s.received(alicePhone).filter((m) => m.name === 'message').map((m) => m.getChildText('body')), ['back?']);
    s.forget();

    await s.stanza('presence', alice, `<iq type="get" id="l"><blocklist xmlns="${NS}"/></iq>`, alicePhone);
    assert.deepEqual(listed(s.received(alicePhone)[0]), [carol]);
    s.forget();
    await s.stanza('presence', alice, `<iq type="set" id="u2"><unblock xmlns="${NS}"/></iq>`, alicePhone);
    const [result, push] = s.received(alicePhone);
    assert.equal(result?.attr('type'), 'result');
    assert.deepEqual(push?.getChild('unblock', NS)?.getChildren('item'), [], 'the push of an unblock-all has no items');
    s.forget();
    await s.stanza('presence', alice, `<iq type="get" id="l"><blocklist xmlns="${NS}"/></iq>`, alicePhone);
    assert.deepEqual(listed(s.received(alicePhone)[0]), []);
  });
});
