// XEP-0016 privacy lists through the actors: the protocol's answers and errors, and lists by JID,
// group and subscription for messages, IQs, presence-in and presence-out, default and active.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, errorCondition, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const NS = 'jabber:iq:privacy';

const privacy = (s: Scene, who: Resource, type: 'get' | 'set', inner: string, id = 'p') =>
  s.stanza('presence', who.bare, `<iq type="${type}" id="${id}"><query xmlns="${NS}">${inner}</query></iq>`, who);
const setList = (s: Scene, who: Resource, name: string, items: string) => privacy(s, who, 'set', `<list name="${name}">${items}</list>`);
const last = (s: Scene, r: Resource): Element | undefined => s.received(r).at(-1);
const bodies = (s: Scene, r: Resource) => s.received(r).filter((m) => m.name === 'message' && m.attr('type') !== 'error').map((m) => m.getChildText('body'));

describe('privacy lists (XEP-0016) in the actors', () => {
  test('lists are stored, named with the active and default ones, read one at a time, and pushed by name (§2.3-2.7)', async () => {
    const { s, alice, edge, alicePhone } = await world.aliceAndBob();
    const aliceLaptop = await s.online(alice, 'laptop', edge);
    await setList(s, alicePhone, 'public', '<item type="jid" value="Eve@Example.com" action="deny" order="2"><message/></item><item action="allow" order="9"/>');
    assert.equal(s.received(alicePhone)[0]?.attr('type'), 'result');
    for (const r of [alicePhone, aliceLaptop]) assert.equal(s.received(r).at(-1)?.getChild('query', NS)?.getChild('list')?.attr('name'), 'public', 'pushed to every resource');
    await setList(s, alicePhone, 'private', '<item type="subscription" value="none" action="deny" order="1"/>');
    await privacy(s, alicePhone, 'set', '<default name="public"/>');
    await privacy(s, alicePhone, 'set', '<active name="private"/>');
    s.forget();

    await privacy(s, alicePhone, 'get', '');
    const names = last(s, alicePhone)?.getChild('query', NS)?.getChildElements().map((e) => `${e.name}:${e.attr('name')}`);
    assert.deepEqual(names, ['active:private', 'default:public', 'list:private', 'list:public']);
    await privacy(s, alicePhone, 'get', '<list name="public"/>');
    const items = last(s, alicePhone)?.getChild('query', NS)?.getChild('list')?.getChildren('item');
    assert.deepEqual(
      items?.map((i) => [i.attr('type'), i.attr('value'), i.attr('action'), i.attr('order'), i.getChildElements().map((c) => c.name).join()]),
      [
        ['jid', 'eve@example.com', 'deny', '2', 'message'],
        [undefined, undefined, 'allow', '9', ''],
      ],
    );
    s.forget();
    await privacy(s, aliceLaptop, 'get', '');
    assert.deepEqual(last(s, aliceLaptop)?.getChild('query', NS)?.getChildElements().map((e) => e.name), ['default', 'list', 'list'], 'the active list is per session');
  });

  test('bad input gets the errors of §2.3-2.8', async () => {
    const { s, alicePhone } = await world.aliceAndBob();
    await setList(s, alicePhone, 'l', '<item action="deny" order="1"/><item action="allow" order="1"/>');
    await setList(s, alicePhone, 'l', '<item action="maybe" order="1"/>');
    await setList(s, alicePhone, 'l', '<item type="group" value="Nobody" action="deny" order="1"/>');
    await setList(s, alicePhone, 'l', '<item type="subscription" value="some" action="deny" order="1"/>');
    await privacy(s, alicePhone, 'set', '<active name="x"/><default name="x"/>');
    await privacy(s, alicePhone, 'get', '<list name="a"/><list name="b"/>');
    await privacy(s, alicePhone, 'get', '<list name="missing"/>');
    await privacy(s, alicePhone, 'set', '<active name="missing"/>');
    await privacy(s, alicePhone, 'set', '<default name="missing"/>');
    await privacy(s, alicePhone, 'set', '<list name="missing"/>');
    assert.deepEqual(s.received(alicePhone).map(errorCondition), [
      'bad-request',
      'bad-request',
      'item-not-found',
      'bad-request',
      'bad-request',
      'bad-request',
      'item-not-found',
      'item-not-found',
      'item-not-found',
      'item-not-found',
    ]);
  });

  test('a list applied by another resource cannot be removed, nor the default changed while another resource uses it (§2.2 rule 11)', async () => {
    const { s, alice, edge, alicePhone } = await world.aliceAndBob();
    await setList(s, alicePhone, 'a', '<item action="allow" order="1"/>');
    await setList(s, alicePhone, 'b', '<item action="allow" order="1"/>');
    await privacy(s, alicePhone, 'set', '<default name="a"/>');
    const aliceLaptop = await s.online(alice, 'laptop', edge);
    await privacy(s, aliceLaptop, 'set', '<active name="b"/>');
    s.forget();
    await privacy(s, alicePhone, 'set', '<list name="b"/>');
    await privacy(s, aliceLaptop, 'set', '<default name="b"/>');
    await privacy(s, aliceLaptop, 'set', '<list name="a"/>');
    assert.deepEqual(s.received(alicePhone).map(errorCondition), ['conflict']);
    assert.deepEqual(s.received(aliceLaptop).map(errorCondition), ['conflict', 'conflict']);
  });

  test('a default list keeps strangers’ messages out while the owner is offline; contacts still get through (§2.9)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const eve = await s.account('eve');
    const bobPhone = await s.online(bob, 'phone', edge);
    const evePhone = await s.online(eve, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await setList(s, alicePhone, 'known', '<item type="subscription" value="none" action="deny" order="1"><message/></item>');
    await privacy(s, alicePhone, 'set', '<default name="known"/>');
    await s.request('presence', { kind: 'resource-gone', key: alice, jid: alicePhone.jid, conn: alicePhone.conn, edge: alicePhone.edge, available: false });
    await s.location.unregister(alicePhone.jid, alicePhone.conn);
    s.forget();

    await s.stanza('session', alice, `<message type="chat" to="${alice}" id="e1"><body>from eve</body></message>`, evePhone);
    await s.stanza('session', alice, `<message type="chat" to="${alice}" id="b1"><body>from bob</body></message>`, bobPhone);
    assert.deepEqual(s.received(evePhone).map(errorCondition), ['service-unavailable']);
    assert.deepEqual(s.received(bobPhone), [], 'stored for later, as for any offline account');
    const aliceBack = await s.online(alice, 'back', edge, { available: false });
    await s.stanza('presence', alice, '<presence/>', aliceBack);
    assert.deepEqual(bodies(s, aliceBack), ['from bob']);
  });

  test('IQs by JID and presence-in by group are blocked for the session the list is active on', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(alicePhone, bobPhone);
    await s.stanza('presence', alice, `<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="${bob}"><group>Noisy</group></item></query></iq>`, alicePhone);
    await setList(s, alicePhone, 'quiet', `<item type="jid" value="${bob}" action="deny" order="1"><iq/></item><item type="group" value="Noisy" action="deny" order="2"><presence-in/></item>`);
    await privacy(s, alicePhone, 'set', '<active name="quiet"/>');
    s.forget();

    await s.stanza('session', alice, `<iq type="get" to="${alicePhone.jid}" id="q1"><query xmlns="jabber:iq:version"/></iq>`, bobPhone);
    await s.stanza('presence', bob, '<presence/>', bobPhone);
    await s.stanza('session', alice, `<message type="chat" to="${alicePhone.jid}"><body>still fine</body></message>`, bobPhone);
    assert.deepEqual(s.received(bobPhone).filter((m) => m.name === 'iq').map(errorCondition), ['service-unavailable']);
    assert.deepEqual(s.received(alicePhone).map((m) => m.name), ['message'], 'no presence from the Noisy group, no IQ');
  });

  test('denying presence-out to a group sends those subscribers unavailable, then nothing; the others keep seeing her (§2.10)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const carol = await s.account('carol');
    const bobPhone = await s.online(bob, 'phone', edge);
    const carolPhone = await s.online(carol, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.subscribed(carolPhone, alicePhone);
    await s.stanza('presence', alice, `<iq type="set" id="r"><query xmlns="jabber:iq:roster"><item jid="${bob}"><group>Work</group></item></query></iq>`, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    await setList(s, alicePhone, 'off-work', '<item type="group" value="Work" action="deny" order="1"><presence-out/></item>');
    s.forget();

    await privacy(s, alicePhone, 'set', '<default name="off-work"/>');
    assert.deepEqual(s.received(bobPhone).map((p) => p.attr('type')), ['unavailable']);
    assert.deepEqual(s.received(carolPhone), []);
    s.forget();
    await s.stanza('presence', alice, '<presence><show>chat</show></presence>', alicePhone);
    assert.deepEqual(s.received(bobPhone), []);
    assert.deepEqual(s.received(carolPhone).map((p) => p.getChildText('show')), ['chat']);
    s.forget();

    await privacy(s, alicePhone, 'set', '<default/>');
    assert.deepEqual(s.received(bobPhone).map((p) => p.getChildText('show')), ['chat'], 'shown again when the list no longer applies');
  });
});
