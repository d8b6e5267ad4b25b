// XEP-0186 invisibility through the actors: an invisible session looks offline to everyone it did
// not send directed presence to, on presence, probes, messages and IQs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actorWorldPerFile, errorCondition, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const NS = 'urn:xmpp:invisible:1';

const goInvisible = (s: Scene, r: Resource) => s.stanza('presence', r.bare, `<iq type="set" id="inv"><invisible xmlns="${NS}" probe="true"/></iq>`, r);
const fromAlice = (s: Scene, r: Resource, alice: string) => s.received(r).filter((m) => m.attr('from')?.startsWith(alice));

describe('invisibility (XEP-0186) in the actors', () => {
  test('going invisible sends subscribers unavailable; later presence is not broadcast, and a contact logging in learns nothing (§3.1)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.subscribed(alicePhone, bobPhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    await s.stanza('presence', bob, '<presence/>', bobPhone);
    s.forget();

    await goInvisible(s, alicePhone);
    assert.equal(s.received(alicePhone)[0]?.attr('type'), 'result');
    assert.deepEqual(fromAlice(s, bobPhone, alice).map((p) => p.attr('type')), ['unavailable']);
    s.forget();
    await s.stanza('presence', alice, '<presence><show>dnd</show></presence>', alicePhone);
    const bobLaptop = await s.online(bob, 'laptop', edge, { available: false });
    await s.stanza('presence', bob, '<presence><status>hello</status></presence>', bobLaptop);
    assert.deepEqual(fromAlice(s, bobPhone, alice), []);
    assert.deepEqual(fromAlice(s, bobLaptop, alice), [], 'no probe answer');
    assert.deepEqual(s.received(alicePhone).filter((p) => p.attr('from') === bobLaptop.jid).map((p) => p.getChildText('status')), ['hello'], 'she still sees her contacts (§3.1.1 rule 3)');
  });

  test('messages from those she hides from are stored as for an offline account, and IQs to her full JID get the offline answer', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await goInvisible(s, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    s.forget();

    await s.stanza('session', alice, `<message type="chat" to="${alice}" id="m1"><body>to bare</body></message>`, bobPhone);
    await s.stanza('session', alice, `<message type="chat" to="${alicePhone.jid}" id="m2"><body>to full</body></message>`, bobPhone);
    await s.stanza('session', alice, `<iq type="get" to="${alicePhone.jid}" id="i1"><ping xmlns="urn:xmpp:ping"/></iq>`, bobPhone);
    assert.deepEqual(s.received(bobPhone).map((m) => [m.attr('id'), errorCondition(m)]), [['i1', 'service-unavailable']]);
    assert.deepEqual(s.received(alicePhone), []);

    const aliceLater = await s.online(alice, 'later', edge, { available: false });
    await s.stanza('presence', alice, '<presence/>', aliceLater);
    assert.deepEqual(s.received(aliceLater).filter((m) => m.name === 'message').map((m) => m.getChildText('body')), ['to bare', 'to full'], 'kept offline, as for an offline account');
  });

  test('directed presence shows her to one contact, who then reaches her; a directed unavailable hides her again (§3.1.1 rules 2, 8)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const carol = await s.account('carol');
    const bobPhone = await s.online(bob, 'phone', edge);
    const carolPhone = await s.online(carol, 'phone', edge);
    await goInvisible(s, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    s.forget();

    await s.stanza('presence', alice, `<presence to="${bob}"><status>just you</status></presence>`, alicePhone);
    assert.deepEqual(fromAlice(s, bobPhone, alice).map((p) => p.getChildText('status')), ['just you']);
    await s.stanza('session', alice, `<message type="chat" to="${alice}"><body>hi from bob</body></message>`, bobPhone);
    await s.stanza('session', alice, `<message type="chat" to="${alice}"><body>hi from carol</body></message>`, carolPhone);
    await s.stanza('session', alice, `<iq type="get" to="${alicePhone.jid}" id="v"><query xmlns="jabber:iq:version"/></iq>`, bobPhone);
    assert.deepEqual(s.received(alicePhone).map((m) => m.getChildText('body') ?? m.name), ['hi from bob', 'iq']);
    s.forget();

    await s.stanza('presence', alice, `<presence to="${carol}" type="unavailable"/>`, alicePhone);
    await s.stanza('presence', alice, `<presence to="${bob}" type="unavailable"/>`, alicePhone);
    assert.deepEqual(s.received(carolPhone), [], 'carol was never shown, so she gets no unavailable either');
    assert.deepEqual(fromAlice(s, bobPhone, alice).map((p) => p.attr('type')), ['unavailable']);
    s.forget();
    await s.stanza('session', alice, `<iq type="get" to="${alicePhone.jid}" id="v2"><query xmlns="jabber:iq:version"/></iq>`, bobPhone);
    assert.deepEqual(s.received(bobPhone).map(errorCondition), ['service-unavailable']);
  });

  test('becoming visible starts over as before initial presence; the next presence is broadcast (§3.2)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await goInvisible(s, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    s.forget();

    await s.stanza('presence', alice, `<iq type="set" id="vis"><visible xmlns="${NS}"/></iq>`, alicePhone);
    assert.equal(s.received(alicePhone)[0]?.attr('type'), 'result');
    assert.equal((await s.entry(alicePhone))?.available, false);
    assert.deepEqual(fromAlice(s, bobPhone, alice), []);
    await s.stanza('presence', alice, '<presence><status>back</status></presence>', alicePhone);
    assert.deepEqual(fromAlice(s, bobPhone, alice).map((p) => p.getChildText('status')), ['back']);
  });
});
