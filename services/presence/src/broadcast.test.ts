// The presence actor spreading an account's presence to exactly the interested resources, one bus
// message per edge (RFC 6121 §4; ARCHITECTURE.md, path of a stanza §4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const summary = (p: Element) => [p.attr('from'), p.attr('type') ?? p.getChildText('show') ?? 'available'];

describe('presence actor: broadcast', () => {
  test('Alice’s initial presence reaches her subscribers’ available resources and her own, one bus message per edge, each addressed to its recipient (RFC 6121 §4.2.2)', async () => {
    const s = world.scene();
    const [alice, bob, carol, dave] = [await s.account('alice'), await s.account('bob'), await s.account('carol'), await s.account('dave')];
    const east = s.edge('east');
    const west = s.edge('west');
    const alicePhone = await s.online(alice, 'phone', east, { available: false });
    const bobPhone = await s.online(bob, 'phone', east);
    const bobStarting = await s.online(bob, 'starting', west, { available: false });
    const carolPhone = await s.online(carol, 'phone', east);
    const carolLaptop = await s.online(carol, 'laptop', west);
    const daveDesk = await s.online(dave, 'desk', east);
    await s.subscribed(bobPhone, alicePhone);
    await s.subscribed(carolPhone, alicePhone);

    await s.stanza('presence', alice, '<presence><show>chat</show></presence>', alicePhone);

    const [toEast, ...moreEast] = east.deliveries();
    const [toWest, ...moreWest] = west.deliveries();
    assert.deepEqual([moreEast, moreWest], [[], []], 'one bus message per edge');
    assert.deepEqual(toEast?.targets, [
      { conn: alicePhone.conn, to: alicePhone.jid },
      { conn: bobPhone.conn, to: bobPhone.jid },
      { conn: carolPhone.conn, to: carolPhone.jid },
    ]);
    assert.deepEqual(toWest?.targets, [{ conn: carolLaptop.conn, to: carolLaptop.jid }]);
    assert.deepEqual(summary(s.received(bobPhone)[0]!), [alicePhone.jid, 'chat']);
    assert.deepEqual([s.received(daveDesk), s.received(bobStarting)], [[], []]);
    const entry = await s.entry(alicePhone);
    assert.equal(entry?.available, true);
    assert.match(entry?.presence ?? '', /<show>chat<\/show>/);
  });

  test('Alice’s first available presence brings her the presence of the contacts she is subscribed to and of her other resources (RFC 6121 §4.2.3)', async () => {
    const s = world.scene();
    const [alice, bob, carol] = [await s.account('alice'), await s.account('bob'), await s.account('carol')];
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge, { available: false });
    const aliceLaptop = await s.online(alice, 'laptop', edge, { presence: `<presence from="${alice}/laptop"><show>xa</show></presence>` });
    const bobPhone = await s.online(bob, 'phone', edge, { presence: `<presence from="${bob}/phone"><show>away</show></presence>` });
    await s.online(bob, 'starting', edge, { available: false });
    const carolPhone = await s.online(carol, 'phone', edge, { presence: `<presence from="${carol}/phone"><show>dnd</show></presence>` });
    await s.subscribed(alicePhone, bobPhone);
    await s.subscribed(carolPhone, alicePhone); // Carol sees Alice, not the other way round

    await s.stanza('presence', alice, '<presence/>', alicePhone);

    const got = s.received(alicePhone);
    assert.deepEqual(got.map(summary).sort(), [
      [aliceLaptop.jid, 'xa'],
      [alicePhone.jid, 'available'],
      [bobPhone.jid, 'away'],
    ]);
    assert.ok(got.every((p) => p.attr('to') === alicePhone.jid));
  });

  test('a presence update from an already available Alice is broadcast, and her contacts are not probed again', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { presence: `<presence from="${bob}/phone"/>` });
    await s.subscribed(alicePhone, bobPhone);
    await s.subscribed(bobPhone, alicePhone);

    await s.stanza('presence', alice, '<presence><show>away</show></presence>', alicePhone);

    assert.deepEqual(s.received(bobPhone).map(summary), [[alicePhone.jid, 'away']]);
    assert.deepEqual(s.received(alicePhone).map(summary), [[alicePhone.jid, 'away']], 'only her own broadcast');
  });

  test('subscription requests that came while Alice was offline are presented again at her initial presence (RFC 6121 §3.1.3)', async () => {
    const s = world.scene();
    const [alice, dave] = [await s.account('alice'), await s.account('dave')];
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge, { available: false });
    const daveDesk = await s.online(dave, 'desk', edge);
    await s.stanza('presence', dave, `<presence type="subscribe" to="${alice}"/>`, daveDesk);
    assert.deepEqual(s.received(alicePhone), [], 'nobody of Alice’s was available to see it');

    await s.stanza('presence', alice, '<presence/>', alicePhone);

    const requests = s.received(alicePhone).filter((p) => p.attr('type') === 'subscribe');
    assert.deepEqual(
      requests.map((p) => [p.attr('from'), p.attr('to')]),
      [[dave, alicePhone.jid]],
    );
  });

  test('Alice’s initial presence with non-negative priority brings her the messages kept while she was offline (XEP-0160 §3)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const aliceLaptop = await s.online(alice, 'laptop', edge, { available: false });
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('presence', alice, '<presence type="unavailable"/>', alicePhone);
    await s.stanza('session', alice, `<message type="chat" to="${alice}"><body>while you were away</body></message>`, bobPhone);

    await s.stanza('presence', alice, '<presence><priority>-1</priority></presence>', aliceLaptop);
    assert.deepEqual(
      s.received(aliceLaptop).filter((m) => m.name === 'message'),
      [],
      'not to a resource with negative priority',
    );
    await s.stanza('presence', alice, '<presence><priority>1</priority></presence>', alicePhone);

    const [kept, ...more] = s.received(alicePhone).filter((m) => m.name === 'message');
    assert.deepEqual(more, []);
    assert.equal(kept?.getChildText('body'), 'while you were away');
    assert.ok(kept?.getChild('delay', 'urn:xmpp:delay'));
  });

  test('Alice’s unavailable presence reaches her subscribers once; a second one sends nothing (RFC 6121 §4.5)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    s.forget();

    await s.stanza('presence', alice, '<presence type="unavailable"><status>gone fishing</status></presence>', alicePhone);
    assert.deepEqual(s.received(bobPhone).map(summary), [[alicePhone.jid, 'unavailable']]);
    assert.equal(s.received(bobPhone)[0]?.getChildText('status'), 'gone fishing');
    assert.equal((await s.entry(alicePhone))?.available, false);
    s.forget();

    await s.stanza('presence', alice, '<presence type="unavailable"/>', alicePhone);
    assert.deepEqual(edge.deliveries(), []);
  });

  test('when an available resource of Alice goes away, her subscribers and her other resources get unavailable from it', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const aliceLaptop = await s.online(alice, 'laptop', edge);
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);

    await s.request('presence', { kind: 'resource-gone', key: alice, jid: alicePhone.jid, conn: alicePhone.conn, edge: edge.id, available: true });

    assert.deepEqual(s.received(bobPhone).map(summary), [[alicePhone.jid, 'unavailable']]);
    assert.deepEqual(s.received(aliceLaptop).map(summary), [[alicePhone.jid, 'unavailable']]);
    assert.deepEqual(s.received(alicePhone), [], 'not to the connection that is gone');
  });

  test('a resource that never sent available presence goes away silently', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);

    await s.request('presence', { kind: 'resource-gone', key: alice, jid: alicePhone.jid, conn: alicePhone.conn, edge: edge.id, available: false });

    assert.deepEqual(edge.deliveries(), []);
  });
});

describe('presence actor: directed presence (RFC 6121 §4.6)', () => {
  test('presence to Bob’s bare JID reaches his available resources, as sent', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    const bobLaptop = await s.online(bob, 'laptop', edge);
    const bobStarting = await s.online(bob, 'starting', edge, { available: false });

    await s.stanza('presence', alice, `<presence to="${bob}"><show>chat</show></presence>`, alicePhone);

    assert.deepEqual(
      edge.deliveries().map((d) => d.targets),
      [[{ conn: bobPhone.conn }, { conn: bobLaptop.conn }]],
    );
    assert.deepEqual([s.received(bobPhone)[0]?.attr('to'), s.received(bobPhone)[0]?.attr('from')], [bob, alicePhone.jid]);
    assert.deepEqual(s.received(bobStarting), []);
  });

  test('presence to one of Bob’s full JIDs reaches only that resource', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    await s.online(bob, 'phone', edge);
    const bobLaptop = await s.online(bob, 'laptop', edge);

    await s.stanza('presence', alice, `<presence to="${bobLaptop.jid}" type="unavailable"/>`, alicePhone);

    assert.deepEqual(
      edge.deliveries().map((d) => d.targets),
      [[{ conn: bobLaptop.conn }]],
    );
  });
});
