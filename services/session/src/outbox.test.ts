// The session actor keeping deliveries to a stream-management resource until its client
// acknowledges them, and routing them again when the resource goes (XEP-0198 §5; ARCHITECTURE.md, Actors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actorWorldPerFile, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

/** What the edge does when a connection with XEP-0198 ends: forget its entry, then tell its session actor. */
async function connectionEnds(s: Scene, r: Resource): Promise<void> {
  assert.equal(await s.location.unregister(r.jid, r.conn), true);
  await s.request('session', { kind: 'resource-gone', key: r.bare, jid: r.jid, conn: r.conn, edge: r.edge, available: false });
}

describe('session actor: stream management outbox', () => {
  test('a chat Bob’s phone never acknowledged goes to his laptop once the phone is gone', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { sm: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}" id="m1"><body>are you there?</body></message>`, alicePhone);
    assert.equal(s.received(bobPhone).length, 1);
    const bobLaptop = await s.online(bob, 'laptop', edge, { available: true });
    await connectionEnds(s, bobPhone);

    const [again, ...more] = s.received(bobLaptop);
    assert.deepEqual(more, []);
    assert.deepEqual([again?.attr('id'), again?.getChildText('body')], ['m1', 'are you there?']);
  });

  test('an acknowledged delivery is not routed again', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { sm: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>seen</body></message>`, alicePhone);
    const [delivery] = edge.deliveries();
    assert.ok(delivery?.id, 'deliveries carry their hand-off id');
    await s.location.outboxAck(bobPhone.conn, [delivery.id]);
    const bobLaptop = await s.online(bob, 'laptop', edge);
    await connectionEnds(s, bobPhone);

    assert.deepEqual(s.received(bobLaptop), []);
  });

  test('an unacknowledged chat is kept offline, stamped, when Bob has no other available resource', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { sm: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>later then</body></message>`, alicePhone);
    await connectionEnds(s, bobPhone);
    s.forget();
    const bobLaptop = await s.online(bob, 'laptop', edge);
    await s.request('session', { kind: 'flush-offline', key: bob, target: bobLaptop.origin });

    const [kept, ...more] = s.received(bobLaptop);
    assert.deepEqual(more, []);
    assert.equal(kept?.getChildText('body'), 'later then');
    assert.ok(kept?.getChild('delay', 'urn:xmpp:delay'));
  });

  test('a chat delivered to several of Bob’s resources is not kept, so nobody gets it twice', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { sm: true });
    const bobLaptop = await s.online(bob, 'laptop', edge, { sm: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>both of you</body></message>`, alicePhone);
    assert.equal(s.received(bobLaptop).length, 1);
    s.forget();
    await connectionEnds(s, bobPhone);

    assert.deepEqual(s.received(bobLaptop), []);
  });

  test('a delivery to a resource without stream management is not kept', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>fire and forget</body></message>`, alicePhone);
    s.forget();
    const bobLaptop = await s.online(bob, 'laptop', edge);
    await connectionEnds(s, bobPhone);

    assert.deepEqual(s.received(bobLaptop), []);
  });

  test('carbon copies to a stream-management resource are not kept (the original reaches its own recipient)', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    await s.online(bob, 'phone', edge);
    const bobLaptop = await s.online(bob, 'laptop', edge, { sm: true, carbons: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}/phone"><body>phone only</body></message>`, alicePhone);
    assert.equal(s.received(bobLaptop).length, 1, 'the received carbon');
    s.forget();
    const bobTablet = await s.online(bob, 'tablet', edge);
    await connectionEnds(s, bobLaptop);

    assert.deepEqual(s.received(bobTablet), []);
  });
});
