// The presence actor answering roster gets and sets, with versions and pushes (RFC 6121 §2, XEP-0237 as folded into §2.6).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, errorCondition } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const ROSTER = 'jabber:iq:roster';

const rosterOf = (iq: Element | undefined) => iq?.getChild('query', ROSTER);
const items = (iq: Element | undefined) =>
  rosterOf(iq)
    ?.getChildren('item')
    .map((i) => ({ jid: i.attr('jid'), name: i.attr('name'), subscription: i.attr('subscription'), groups: i.getChildren('group').map((g) => g.text()) })) ?? [];
const version = (iq: Element | undefined) => Number(rosterOf(iq)?.attr('ver'));

describe('presence actor: the roster', () => {
  test('Alice’s first roster get answers version 0 with no items and makes her phone an interested resource (RFC 6121 §2.1.6)', async () => {
    const { s, alice, alicePhone } = await world.aliceAndBob();

    await s.stanza('presence', alice, `<iq type="get" id="r1"><query xmlns="${ROSTER}"/></iq>`, alicePhone);

    const [result, ...more] = s.received(alicePhone);
    assert.deepEqual(more, []);
    assert.deepEqual([result?.attr('type'), result?.attr('id'), version(result), items(result)], ['result', 'r1', 0, []]);
    assert.equal((await s.entry(alicePhone))?.rosterInterest, true);
  });

  test('adding Bob is pushed with a new version to each interested resource of Alice and no other, then answered (RFC 6121 §2.3.2)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const aliceLaptop = await s.online(alice, 'laptop', edge, { rosterInterest: true });
    const aliceWatch = await s.online(alice, 'watch', edge);
    await s.stanza('presence', alice, `<iq type="get" id="r1"><query xmlns="${ROSTER}"/></iq>`, alicePhone);
    s.forget();

    await s.stanza('presence', alice, `<iq type="set" id="r2"><query xmlns="${ROSTER}"><item jid="${bob}" name="Bob"><group>Friends</group></item></query></iq>`, alicePhone);

    // Stored and pushed before the result (the RFC's example order): a write refused because the
    // shard moved is never answered with a result.
    const [pushToPhone, result] = s.received(alicePhone);
    assert.deepEqual([result?.attr('type'), result?.attr('id')], ['result', 'r2']);
    const [pushToLaptop] = s.received(aliceLaptop);
    for (const [push, r] of [
      [pushToPhone, alicePhone],
      [pushToLaptop, aliceLaptop],
    ] as const) {
      assert.deepEqual([push?.attr('type'), push?.attr('to'), push?.attr('from')], ['set', r.jid, undefined]);
      assert.deepEqual(items(push), [{ jid: bob, name: 'Bob', subscription: 'none', groups: ['Friends'] }]);
      assert.ok(version(push) > 0);
    }
    assert.equal(version(pushToPhone), version(pushToLaptop));
    assert.deepEqual(s.received(aliceWatch), [], 'the watch never asked for the roster');
  });

  test('a roster get with the current version answers an empty result, and with an older one the whole roster (RFC 6121 §2.6.3)', async () => {
    const { s, alice, bob, alicePhone } = await world.aliceAndBob();
    await s.stanza('presence', alice, `<iq type="set" id="r1"><query xmlns="${ROSTER}"><item jid="${bob}"/></query></iq>`, alicePhone);
    s.forget();
    await s.stanza('presence', alice, `<iq type="get" id="r2"><query xmlns="${ROSTER}" ver="0"/></iq>`, alicePhone);
    const [full] = s.received(alicePhone);
    const current = version(full);
    assert.deepEqual(
      items(full).map((i) => i.jid),
      [bob],
    );
    s.forget();

    await s.stanza('presence', alice, `<iq type="get" id="r3"><query xmlns="${ROSTER}" ver="${current}"/></iq>`, alicePhone);

    const [unchanged] = s.received(alicePhone);
    assert.deepEqual([unchanged?.attr('type'), unchanged?.attr('id'), unchanged?.getChildElements()], ['result', 'r3', []]);
  });

  test('renaming Bob and moving him to another group pushes the new item with a higher version', async () => {
    const { s, alice, bob, alicePhone } = await world.aliceAndBob();
    await s.stanza('presence', alice, `<iq type="get" id="r0"><query xmlns="${ROSTER}"/></iq>`, alicePhone);
    await s.stanza('presence', alice, `<iq type="set" id="r1"><query xmlns="${ROSTER}"><item jid="${bob}" name="Bob"/></query></iq>`, alicePhone);
    const first = version(s.received(alicePhone).find((r) => r.attr('type') === 'set'));
    s.forget();

    await s.stanza('presence', alice, `<iq type="set" id="r2"><query xmlns="${ROSTER}"><item jid="${bob}" name="Robert"><group>Work</group></item></query></iq>`, alicePhone);

    const [push] = s.received(alicePhone);
    assert.deepEqual(items(push), [{ jid: bob, name: 'Robert', subscription: 'none', groups: ['Work'] }]);
    assert.ok(version(push) > first);
  });

  test('removing Bob is pushed as subscription="remove" and answered; removing him again is item-not-found (RFC 6121 §2.5)', async () => {
    const { s, alice, bob, alicePhone } = await world.aliceAndBob();
    await s.stanza('presence', alice, `<iq type="get" id="r0"><query xmlns="${ROSTER}"/></iq>`, alicePhone);
    await s.stanza('presence', alice, `<iq type="set" id="r1"><query xmlns="${ROSTER}"><item jid="${bob}"/></query></iq>`, alicePhone);
    const added = version(s.received(alicePhone).find((r) => r.attr('type') === 'set'));
    s.forget();

    await s.stanza('presence', alice, `<iq type="set" id="r2"><query xmlns="${ROSTER}"><item jid="${bob}" subscription="remove"/></query></iq>`, alicePhone);
    const [push, result] = s.received(alicePhone);
    assert.deepEqual([result?.attr('type'), result?.attr('id')], ['result', 'r2']);
    assert.deepEqual(
      items(push).map((i) => [i.jid, i.subscription]),
      [[bob, 'remove']],
    );
    assert.ok(version(push) > added);
    s.forget();

    await s.stanza('presence', alice, `<iq type="set" id="r3"><query xmlns="${ROSTER}"><item jid="${bob}" subscription="remove"/></query></iq>`, alicePhone);
    assert.deepEqual(
      s.received(alicePhone).map((r) => [r.attr('id'), errorCondition(r)]),
      [['r3', 'item-not-found']],
    );
    await s.stanza('presence', alice, `<iq type="get" id="r4"><query xmlns="${ROSTER}"/></iq>`, alicePhone);
    assert.deepEqual(items(s.received(alicePhone).at(-1)), []);
  });

  const long = 'x'.repeat(1024);
  for (const [what, item, condition] of [
    ['two items', (bob: string) => `<item jid="${bob}"/><item jid="carol@example.com"/>`, 'bad-request'],
    ['an item without a valid JID', () => '<item jid="@example.com"/>', 'jid-malformed'],
    ['a full JID', (bob: string) => `<item jid="${bob}/phone"/>`, 'bad-request'],
    ['Alice herself', (_: string, alice: string) => `<item jid="${alice}"/>`, 'not-allowed'],
    ['an empty group', (bob: string) => `<item jid="${bob}"><group></group></item>`, 'not-acceptable'],
    ['the same group twice', (bob: string) => `<item jid="${bob}"><group>A</group><group>A</group></item>`, 'bad-request'],
    ['a name too long', (bob: string) => `<item jid="${bob}" name="${long}"/>`, 'not-acceptable'],
  ] as const) {
    test(`a roster set with ${what} is refused with ${condition} and changes nothing (RFC 6121 §2.3.3)`, async () => {
      const { s, alice, bob, alicePhone } = await world.aliceAndBob();
      await s.stanza('presence', alice, `<iq type="get" id="r0"><query xmlns="${ROSTER}"/></iq>`, alicePhone);
      s.forget();

      await s.stanza('presence', alice, `<iq type="set" id="bad"><query xmlns="${ROSTER}">${item(bob, alice)}</query></iq>`, alicePhone);

      assert.deepEqual(
        s.received(alicePhone).map((r) => [r.attr('id'), errorCondition(r)]),
        [['bad', condition]],
        'an error and no push',
      );
      s.forget();
      await s.stanza('presence', alice, `<iq type="get" id="r1"><query xmlns="${ROSTER}"/></iq>`, alicePhone);
      assert.deepEqual([version(s.received(alicePhone)[0]), items(s.received(alicePhone)[0])], [0, []]);
    });
  }
});
