// Two presence actors negotiating a subscription over the bus (RFC 6121 §3): requests travel
// between bare JIDs, both rosters follow, and presence flows once approved.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const ROSTER = 'jabber:iq:roster';

/** The roster items a resource was pushed, as [contact, subscription, ask, approved]. */
const pushed = (got: Element[]) =>
  got
    .filter((e) => e.name === 'iq' && e.attr('type') === 'set')
    .flatMap((iq) => iq.getChild('query', ROSTER)?.getChildren('item') ?? [])
    .map((i) => [i.attr('jid'), i.attr('subscription'), i.attr('ask'), i.attr('approved')]);
const presences = (got: Element[]) => got.filter((e) => e.name === 'presence').map((p) => [p.attr('type') ?? 'available', p.attr('from'), p.attr('to')]);

/** The resource asks for its roster, so it is pushed changes from now on. */
async function interested(s: Scene, r: Resource): Promise<void> {
  await s.stanza('presence', r.bare, `<iq type="get" id="roster"><query xmlns="${ROSTER}"/></iq>`, r);
}

async function rosterItem(s: Scene, r: Resource, contact: string): Promise<string[] | undefined> {
  s.forget();
  await s.stanza('presence', r.bare, `<iq type="get" id="check"><query xmlns="${ROSTER}"/></iq>`, r);
  const item = s.received(r)[0]?.getChild('query', ROSTER)?.getChildren('item').find((i) => i.attr('jid') === contact);
  return item && [item.attr('subscription') ?? '', item.attr('ask') ?? ''];
}

describe('presence actors: subscriptions between two accounts', () => {
  test('Alice’s request reaches Bob’s available resources and shows as pending in her roster only (RFC 6121 §3.1.2-3)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    const bobStarting = await s.online(bob, 'starting', edge, { available: false });
    await interested(s, alicePhone);
    await interested(s, bobPhone);
    s.forget();

    await s.stanza('presence', alice, `<presence type="subscribe" to="${bob}"/>`, alicePhone);

    assert.deepEqual(pushed(s.received(alicePhone)), [[bob, 'none', 'subscribe', undefined]]);
    assert.deepEqual(presences(s.received(bobPhone)), [['subscribe', alice, bob]], 'from Alice’s bare JID, and no roster push yet');
    assert.deepEqual(s.received(bobStarting), []);
  });

  test('Bob approving gives him subscription from and Alice to, and Bob’s presence goes to Alice (RFC 6121 §3.1.5-6)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { presence: `<presence from="${bob}/phone"><show>dnd</show></presence>` });
    await interested(s, alicePhone);
    await interested(s, bobPhone);
    await s.stanza('presence', alice, `<presence type="subscribe" to="${bob}"/>`, alicePhone);
    s.forget();

    await s.stanza('presence', bob, `<presence type="subscribed" to="${alice}"/>`, bobPhone);

    assert.deepEqual(pushed(s.received(bobPhone)), [[alice, 'from', undefined, undefined]]);
    const atAlice = s.received(alicePhone);
    assert.deepEqual(pushed(atAlice), [[bob, 'to', undefined, undefined]]);
    assert.deepEqual(presences(atAlice).sort(), [
      ['available', bobPhone.jid, alicePhone.jid],
      ['subscribed', bob, alice],
    ]);
    assert.deepEqual(await rosterItem(s, alicePhone, bob), ['to', '']);
    assert.deepEqual(await rosterItem(s, bobPhone, alice), ['from', '']);
  });

  test('once subscribed both ways, Alice and Bob each see the other’s presence', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(alicePhone, bobPhone);
    await s.subscribed(bobPhone, alicePhone);

    await s.stanza('presence', alice, '<presence><show>away</show></presence>', alicePhone);
    await s.stanza('presence', bob, '<presence><show>xa</show></presence>', bobPhone);

    assert.ok(presences(s.received(bobPhone)).some(([, from]) => from === alicePhone.jid));
    assert.ok(presences(s.received(alicePhone)).some(([, from]) => from === bobPhone.jid));
    assert.deepEqual(await rosterItem(s, alicePhone, bob), ['both', '']);
    assert.deepEqual(await rosterItem(s, bobPhone, alice), ['both', '']);
  });

  test('Bob denying the request leaves Alice with none and tells her (RFC 6121 §3.2)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('presence', alice, `<presence type="subscribe" to="${bob}"/>`, alicePhone);
    s.forget();

    await s.stanza('presence', bob, `<presence type="unsubscribed" to="${alice}"/>`, bobPhone);

    assert.deepEqual(presences(s.received(alicePhone)), [['unsubscribed', bob, alice]]);
    assert.deepEqual(await rosterItem(s, alicePhone, bob), ['none', '']);
    assert.deepEqual(presences(s.received(bobPhone)), []);
  });

  test('a request Bob pre-approved is granted at once, without asking him (RFC 6121 §3.4)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { presence: `<presence from="${bob}/phone"/>` });
    await interested(s, bobPhone);
    s.forget();

    await s.stanza('presence', bob, `<presence type="subscribed" to="${alice}"/>`, bobPhone);
    assert.deepEqual(pushed(s.received(bobPhone)), [[alice, 'none', undefined, 'true']], 'remembered as pre-approved');
    assert.deepEqual(s.received(alicePhone), [], 'and not sent');
    s.forget();

    await s.stanza('presence', alice, `<presence type="subscribe" to="${bob}"/>`, alicePhone);

    const atBob = s.received(bobPhone);
    assert.deepEqual(presences(atBob), [], 'Bob is not asked');
    assert.deepEqual(pushed(atBob), [[alice, 'from', undefined, undefined]]);
    assert.deepEqual(presences(s.received(alicePhone)).sort(), [
      ['available', bobPhone.jid, alicePhone.jid],
      ['subscribed', bob, alice],
    ]);
  });

  test('a request to an account that does not exist gets no answer and stays pending', async () => {
    const { s, alice, alicePhone } = await world.aliceAndBob();
    const ghost = s.nobody('ghost');

    await s.stanza('presence', alice, `<presence type="subscribe" to="${ghost}"/>`, alicePhone);

    assert.deepEqual(presences(s.received(alicePhone)), []);
    assert.deepEqual(await rosterItem(s, alicePhone, ghost), ['none', 'subscribe']);
  });
});
