// The session actor copying chats to an account's other resources (XEP-0280 message carbons).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

const CARBONS = 'urn:xmpp:carbons:2';

/** The kind of carbon (`received`/`sent`), who wrapped it and the body of the forwarded original. */
function carbon(m: Element | undefined): [string | undefined, string | undefined, string | undefined] | undefined {
  const wrapper = m?.getChild('received', CARBONS) ?? m?.getChild('sent', CARBONS);
  if (!wrapper) return undefined;
  const original = wrapper.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
  return [wrapper.name, m?.attr('from'), original?.getChildText('body')];
}

describe('session actor: message carbons', () => {
  test('enabling carbons with an IQ marks the resource in the location service, and disabling clears it (XEP-0280 §4)', async () => {
    const { s, alice, alicePhone: phone } = await world.aliceAndBob();

    await s.stanza('session', alice, `<iq type="set" id="c1"><enable xmlns="${CARBONS}"/></iq>`, phone);
    assert.equal((await s.entry(phone))?.carbons, true);
    await s.stanza('session', alice, `<iq type="set" id="c2"><disable xmlns="${CARBONS}"/></iq>`, phone);
    assert.equal((await s.entry(phone))?.carbons, false);

    assert.deepEqual(
      s.received(phone).map((r) => [r.attr('id'), r.attr('type')]),
      [
        ['c1', 'result'],
        ['c2', 'result'],
      ],
    );
  });

  test('a chat to one of Bob’s resources is copied as received to his other carbons-enabled resources, addressed to each (XEP-0280 §6)', async () => {
    const s = world.scene();
    const [alice, bob] = [await s.account('alice'), await s.account('bob')];
    const east = s.edge('east');
    const west = s.edge('west');
    const alicePhone = await s.online(alice, 'phone', east);
    const bobPhone = await s.online(bob, 'phone', east, { carbons: true });
    const bobLaptop = await s.online(bob, 'laptop', west, { carbons: true });
    const bobTablet = await s.online(bob, 'tablet', west);

    await s.stanza('session', bob, `<message type="chat" to="${bobPhone.jid}"><body>for the phone</body></message>`, alicePhone);

    assert.equal(s.received(bobPhone)[0]?.getChildText('body'), 'for the phone');
    const [copy, ...more] = s.received(bobLaptop);
    assert.deepEqual(more, []);
    assert.deepEqual(carbon(copy), ['received', bob, 'for the phone']);
    assert.equal(copy?.attr('to'), bobLaptop.jid);
    assert.deepEqual(s.received(bobTablet), [], 'carbons are not enabled there');
    assert.deepEqual(s.received(alicePhone), []);
  });

  test('a chat to Bob’s bare JID reaches each of his resources once and is not copied', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { carbons: true });
    const bobLaptop = await s.online(bob, 'laptop', edge, { carbons: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>to all</body></message>`, alicePhone);

    assert.deepEqual(edge.deliveries().length, 1);
    assert.deepEqual([s.received(bobPhone).map(carbon), s.received(bobLaptop).map(carbon)], [[undefined], [undefined]]);
  });

  test('Alice’s other carbons-enabled resources get a sent copy of her chat to Bob, and the sending one does not', async () => {
    const s = world.scene();
    const [alice, bob] = [await s.account('alice'), await s.account('bob')];
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge, { carbons: true });
    const aliceLaptop = await s.online(alice, 'laptop', edge, { carbons: true });
    const aliceDesk = await s.online(alice, 'desk', edge);
    const bobPhone = await s.online(bob, 'phone', edge);

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>from my phone</body></message>`, alicePhone);

    assert.equal(s.received(bobPhone)[0]?.getChildText('body'), 'from my phone');
    const [copy, ...more] = s.received(aliceLaptop);
    assert.deepEqual(more, []);
    assert.deepEqual(carbon(copy), ['sent', alice, 'from my phone']);
    assert.equal(copy?.attr('to'), aliceLaptop.jid);
    assert.deepEqual([s.received(alicePhone), s.received(aliceDesk)], [[], []]);
  });

  test('the sent copy of a chat kept offline for Bob carries no delay stamp', async () => {
    const s = world.scene();
    const [alice, bob] = [await s.account('alice'), await s.account('bob')];
    const edge = s.edge('edge');
    const alicePhone = await s.online(alice, 'phone', edge, { carbons: true });
    const aliceLaptop = await s.online(alice, 'laptop', edge, { carbons: true });

    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>while you were out</body></message>`, alicePhone);

    const [copy] = s.received(aliceLaptop);
    assert.deepEqual(carbon(copy), ['sent', alice, 'while you were out']);
    const original = copy?.getChild('sent', CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
    assert.equal(original?.getChild('delay', 'urn:xmpp:delay'), undefined);
  });

  for (const [what, hint] of [
    ['private (XEP-0280 §7)', `<private xmlns="${CARBONS}"/>`],
    ['no-copy (XEP-0334)', '<no-copy xmlns="urn:xmpp:hints"/>'],
  ] as const) {
    test(`a chat marked ${what} is copied to nobody`, async () => {
      const s = world.scene();
      const [alice, bob] = [await s.account('alice'), await s.account('bob')];
      const edge = s.edge('edge');
      const alicePhone = await s.online(alice, 'phone', edge, { carbons: true });
      const aliceLaptop = await s.online(alice, 'laptop', edge, { carbons: true });
      const bobPhone = await s.online(bob, 'phone', edge, { carbons: true });
      const bobLaptop = await s.online(bob, 'laptop', edge, { carbons: true });

      await s.stanza('session', bob, `<message type="chat" to="${bobPhone.jid}"><body>secret</body>${hint}</message>`, alicePhone);

      assert.equal(s.received(bobPhone).length, 1);
      assert.deepEqual([s.received(bobLaptop), s.received(aliceLaptop), s.received(alicePhone)], [[], [], []]);
    });
  }
});
