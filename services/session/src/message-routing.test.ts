// The session actor routing messages to an account's resources (RFC 6121 §8.5), one bus message per edge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFragment } from '@parley/xml';
import { actorWorldPerFile, errorCondition } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

describe('session actor: messages to an account', () => {
  test('a chat to Bob’s bare JID reaches each available resource with non-negative priority, one bus message per edge', async () => {
    const s = world.scene();
    const [alice, bob] = [await s.account('alice'), await s.account('bob')];
    const east = s.edge('east');
    const west = s.edge('west');
    const alicePhone = await s.online(alice, 'phone', east);
    const bobPhone = await s.online(bob, 'phone', east);
    const bobLaptop = await s.online(bob, 'laptop', east, { priority: 5 });
    const bobTablet = await s.online(bob, 'tablet', west);
    const bobShy = await s.online(bob, 'shy', west, { priority: -1 });
    const bobConnecting = await s.online(bob, 'connecting', west, { available: false });

    await s.stanza('session', bob, `<message type="chat" to="${bob}" id="m1"><body>hello</body></message>`, alicePhone);

    const [toEast, ...moreEast] = east.deliveries();
    const [toWest, ...moreWest] = west.deliveries();
    assert.deepEqual([moreEast, moreWest], [[], []], 'one bus message per edge');
    assert.deepEqual(toEast?.targets, [{ conn: bobPhone.conn }, { conn: bobLaptop.conn }]);
    assert.deepEqual(toWest?.targets, [{ conn: bobTablet.conn }]);
    const [got] = s.received(bobPhone);
    assert.equal(got?.attr('from'), alicePhone.jid);
    assert.equal(got?.getChildText('body'), 'hello');
    assert.deepEqual([s.received(bobShy), s.received(bobConnecting), s.received(alicePhone)], [[], [], []]);
  });

  test('a message to one of Bob’s full JIDs reaches only that resource', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    await s.online(bob, 'phone', edge);
    const bobLaptop = await s.online(bob, 'laptop', edge);

    await s.stanza('session', bob, `<message type="chat" to="${bobLaptop.jid}"><body>just you</body></message>`, alicePhone);

    assert.deepEqual(
      edge.deliveries().map((d) => d.targets),
      [[{ conn: bobLaptop.conn }]],
    );
  });

  test('a message to a resource Bob does not have goes to his bare JID instead (RFC 6121 §8.5.3.2.1)', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    const bobLaptop = await s.online(bob, 'laptop', edge);

    await s.stanza('session', bob, `<message type="chat" to="${bob}/gone"><body>anyone?</body></message>`, alicePhone);

    assert.deepEqual(
      edge.deliveries().map((d) => d.targets),
      [[{ conn: bobPhone.conn }, { conn: bobLaptop.conn }]],
    );
  });

  test('a groupchat message to Bob’s bare JID or to an unknown resource is refused with service-unavailable', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);

    await s.stanza('session', bob, `<message type="groupchat" to="${bob}" id="g1"><body>room?</body></message>`, alicePhone);
    await s.stanza('session', bob, `<message type="groupchat" to="${bob}/gone" id="g2"><body>room?</body></message>`, alicePhone);

    const errors = s.received(alicePhone);
    assert.deepEqual(
      errors.map((e) => [e.attr('id'), errorCondition(e), e.attr('to')]),
      [
        ['g1', 'service-unavailable', alicePhone.jid],
        ['g2', 'service-unavailable', alicePhone.jid],
      ],
    );
    assert.deepEqual(s.received(bobPhone), []);
  });

  test('a message to an account that does not exist is answered service-unavailable from that address (RFC 6121 §8.5.1)', async () => {
    const s = world.scene();
    const alice = await s.account('alice');
    const ghost = s.nobody('ghost');
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge);

    await s.stanza('session', ghost, `<message type="chat" to="${ghost}" id="x1"><body>hello?</body></message>`, alicePhone);

    const [reply, ...more] = s.received(alicePhone);
    assert.deepEqual(more, []);
    assert.equal(errorCondition(reply!), 'service-unavailable');
    assert.equal(reply?.attr('from'), ghost);
    assert.equal(reply?.attr('id'), 'x1');
  });

  test('a message of type error is never answered with another error, even to an account that does not exist (RFC 6120 §8.3.1)', async () => {
    const s = world.scene();
    const alice = await s.account('alice');
    const ghost = s.nobody('ghost');
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge);

    await s.stanza('session', ghost, `<message type="error" to="${ghost}" id="e1"><error type="cancel"/></message>`, alicePhone);

    assert.deepEqual(edge.deliveries(), []);
  });

  test('while the location service rebuilds, a message to Bob with no registered resource is held for a retry, not stored offline', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    // An edge whose liveness lapsed beats again: its sessions are being registered again.
    await s.location.heartbeat(edge.id, 1);
    await new Promise((r) => setTimeout(r, 5));
    await s.location.heartbeat(edge.id, 4000);
    const msg = parseFragment(`<message type="chat" to="${bob}" id="held"><body>still there?</body></message>`);
    msg.setAttr('from', alicePhone.jid);
    const req = { kind: 'stanza' as const, key: bob, stanza: msg, origin: alicePhone.origin, id: 'held-1' };

    assert.deepEqual(await s.ask('session', req), { ok: false, condition: 'recovering', text: 'the recipient’s sessions are being registered again' });
    assert.deepEqual(s.received(alicePhone), [], 'no error for Alice: her edge retries');

    const bobPhone = await s.online(bob, 'phone', edge);
    assert.deepEqual(await s.ask('session', req), { ok: true });
    assert.deepEqual(
      s.received(bobPhone).map((m) => m.getChildText('body')),
      ['still there?'],
    );
    // Nothing was kept for later either: a flush of Bob's offline store delivers nothing more.
    s.forget();
    await s.request('session', { kind: 'flush-offline', key: bob, target: bobPhone.origin });
    assert.deepEqual(s.received(bobPhone), []);
  });
});
