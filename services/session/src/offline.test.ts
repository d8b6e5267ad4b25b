// The session actor keeping messages for an account with no available resource (XEP-0160) and
// handing them over at the next available presence, stamped with their delay (XEP-0203).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, DOMAIN, errorCondition, OFFLINE_QUOTA, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

/** What the presence actor asks for when `r` becomes available with non-negative priority. */
const flushOffline = (s: Scene, r: Resource) => s.request('session', { kind: 'flush-offline', key: r.bare, target: r.origin });
const bodies = (stanzas: Element[]) => stanzas.map((m) => m.getChildText('body'));

describe('session actor: offline messages', () => {
  test('chats to Bob while none of his resources is available are kept, stamped, and handed over in order at his next presence', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobConnecting = await s.online(bob, 'connecting', edge, { available: false });
    const bobShy = await s.online(bob, 'shy', edge, { priority: -1 });

    for (const n of [1, 2, 3]) await s.stanza('session', bob, `<message type="chat" to="${bob}" id="m${n}"><body>note ${n}</body></message>`, alicePhone);
    assert.deepEqual(edge.deliveries(), [], 'nobody was available to take them');

    const bobPhone = await s.online(bob, 'phone', edge);
    await flushOffline(s, bobPhone);

    const kept = s.received(bobPhone);
    assert.deepEqual(bodies(kept), ['note 1', 'note 2', 'note 3']);
    for (const m of kept) {
      const delay = m.getChild('delay', 'urn:xmpp:delay');
      assert.equal(delay?.attr('from'), DOMAIN);
      assert.ok(!Number.isNaN(Date.parse(delay?.attr('stamp') ?? '')), 'the stamp is a date');
      assert.equal(m.attr('from'), alicePhone.jid);
    }
    assert.deepEqual([s.received(bobConnecting), s.received(bobShy)], [[], []]);

    s.forget();
    await flushOffline(s, bobPhone);
    assert.deepEqual(edge.deliveries(), [], 'the store is empty once handed over');
  });

  test('a headline to Bob while he is offline is dropped, not kept (RFC 6121 §8.5.2.2.1)', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();

    await s.stanza('session', bob, `<message type="headline" to="${bob}"><body>news</body></message>`, alicePhone);
    const bobPhone = await s.online(bob, 'phone', edge);
    await flushOffline(s, bobPhone);

    assert.deepEqual(edge.deliveries(), []);
  });

  test('a chat state without a body is not kept for Bob while he is offline (XEP-0160 §4)', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`, alicePhone);
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>typed</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>`, alicePhone);
    const bobPhone = await s.online(bob, 'phone', edge);
    await flushOffline(s, bobPhone);

    assert.deepEqual(bodies(s.received(bobPhone)), ['typed']);
  });

  test('once Bob’s offline store is full the next message is refused with service-unavailable and the kept ones stay', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();

    for (let n = 1; n <= OFFLINE_QUOTA + 1; n++) await s.stanza('session', bob, `<message type="chat" to="${bob}" id="q${n}"><body>${n}</body></message>`, alicePhone);

    const [refusal, ...more] = s.received(alicePhone);
    assert.deepEqual(more, []);
    assert.deepEqual([refusal?.attr('id'), errorCondition(refusal!), refusal?.attr('from')], [`q${OFFLINE_QUOTA + 1}`, 'service-unavailable', bob]);
    const bobPhone = await s.online(bob, 'phone', edge);
    await flushOffline(s, bobPhone);
    assert.equal(s.received(bobPhone).length, OFFLINE_QUOTA);
  });

  test('messages asked for by a session that has already gone are kept for the next one', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>first</body></message>`, alicePhone);
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>second</body></message>`, alicePhone);

    const gone: Resource = { jid: `${bob}/gone`, bare: bob, conn: 'never-registered', edge: edge.id, origin: { edge: edge.id, conn: 'never-registered', jid: `${bob}/gone` } };
    await flushOffline(s, gone);
    assert.deepEqual(edge.deliveries(), []);

    const bobPhone = await s.online(bob, 'phone', edge);
    await flushOffline(s, bobPhone);
    assert.deepEqual(bodies(s.received(bobPhone)), ['first', 'second']);
  });
});
