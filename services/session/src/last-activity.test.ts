// XEP-0012 last activity answered by the server for accounts: only to those who may see the
// account's presence, 0 while a resource they may see is online, otherwise the last real logout.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Element } from '@parley/xml';
import { actorWorldPerFile, DOMAIN, errorCondition, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();
const NS = 'jabber:iq:last';

async function last(s: Scene, asker: Resource, of: string): Promise<Element | undefined> {
  s.forget();
  await s.stanza('session', of, `<iq type="get" to="${of}" id="l"><query xmlns="${NS}"/></iq>`, asker);
  return s.received(asker)[0];
}
const seconds = (iq: Element | undefined) => Number(iq?.getChild('query', NS)?.attr('seconds'));
const logout = (s: Scene, r: Resource, status: string) => s.stanza('presence', r.bare, `<presence type="unavailable"><status>${status}</status></presence>`, r);

describe('last activity (XEP-0012) of accounts', () => {
  test('a stranger is forbidden; a subscriber gets 0 while she is online, then the seconds since her logout and its status (§4)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const eve = await s.account('eve');
    const bobPhone = await s.online(bob, 'phone', edge);
    const evePhone = await s.online(eve, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);

    assert.equal(errorCondition((await last(s, evePhone, alice))!), 'forbidden');
    assert.equal(seconds(await last(s, bobPhone, alice)), 0);
    await logout(s, alicePhone, 'Heading home');
    const answer = await last(s, bobPhone, alice);
    assert.ok(seconds(answer) >= 1, 'a logout is never reported as online');
    assert.equal(answer?.getChild('query', NS)?.text(), 'Heading home');
    assert.equal(errorCondition((await last(s, evePhone, alice))!), 'forbidden', 'the same refusal offline');
  });

  test('while she is invisible a subscriber gets her last real logout, and her invisible logout is not recorded', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    await logout(s, alicePhone, 'see you');
    const aliceLaptop = await s.online(alice, 'laptop', edge, { available: false });
    await s.stanza('presence', alice, `<iq type="set" id="i"><invisible xmlns="urn:xmpp:invisible:1"/></iq>`, aliceLaptop);
    await s.stanza('presence', alice, '<presence/>', aliceLaptop);

    const whileInvisible = await last(s, bobPhone, alice);
    assert.ok(seconds(whileInvisible) >= 1);
    assert.equal(whileInvisible?.getChild('query', NS)?.text(), 'see you');
    await logout(s, aliceLaptop, 'secret');
    assert.equal((await last(s, bobPhone, alice))?.getChild('query', NS)?.text(), 'see you');
  });

  test('going invisible in the middle of a session is a logout for her contacts (XEP-0186 §3.1.1)', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.subscribed(bobPhone, alicePhone);
    await s.stanza('presence', alice, '<presence/>', alicePhone);
    await s.stanza('presence', alice, `<iq type="set" id="i"><invisible xmlns="urn:xmpp:invisible:1"/></iq>`, alicePhone);
    const answer = await last(s, bobPhone, alice);
    assert.ok(seconds(answer) >= 1);
    assert.equal(answer?.getChild('query', NS)?.text(), '');
  });

  test('the domain answers with the server’s uptime (§5)', async () => {
    const { s, alicePhone } = await world.aliceAndBob();
    s.forget();
    await s.stanza('session', alicePhone.bare, `<iq type="get" to="${DOMAIN}" id="u"><query xmlns="${NS}"/></iq>`, alicePhone);
    const [uptime] = s.received(alicePhone);
    assert.equal(uptime?.attr('type'), 'result');
    assert.ok(seconds(uptime) >= 0);
  });
});
