// The presence actor's 'own-presence' hook point: every available presence of one of the account's
// resources, with the stanza and whether the resource just became available (entity capabilities);
// and 'own-available', where a module rewrites that presence before it is stored and sent (XEP-0398).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ExtensionModule, PASS, rewrite } from '@parley/ext';
import { xml } from '@parley/xml';
import { actorWorldPerFile } from '../../../tests/harness/actors.ts';

const seen: Array<[string, boolean, string | undefined]> = [];
const listener: ExtensionModule = {
  name: 'test-own-presence',
  specs: [],
  presence: {
    ownPresence: async ({ jid, initial, stanza }) => {
      seen.push([jid, initial, stanza.getChildText('show')]);
    },
  },
};

const rewrites: Array<[string, boolean]> = [];
/** Marks each available presence it sees with <mark/>, unless it carries <keep/>. */
const marker: ExtensionModule = {
  name: 'test-own-available',
  specs: [],
  presence: {
    ownAvailable: async ({ stanza, directed, key }) => {
      rewrites.push([key, directed]);
      if (stanza.getChild('keep')) return PASS;
      return rewrite(stanza.clone().append(xml('mark', { xmlns: 'urn:example:mark' })));
    },
  },
};

const world = actorWorldPerFile([listener, marker]);

describe('presence actor: the own-presence hook', () => {
  test('the initial presence, then each update, are seen with the stanza; unavailable is not', async () => {
    const { s, alice } = await world.aliceAndBob();
    const laptop = await s.online(alice, 'laptop', s.edge('e'), { available: false });
    seen.length = 0;
    await s.stanza('presence', alice, '<presence/>', laptop);
    await s.stanza('presence', alice, '<presence><show>away</show></presence>', laptop);
    await s.stanza('presence', alice, '<presence type="unavailable"/>', laptop);
    assert.deepEqual(seen, [
      [laptop.jid, true, undefined],
      [laptop.jid, false, 'away'],
    ]);
  });
});

describe('presence actor: the own-available hook', () => {
  test('the rewritten presence is what subscribers get, what probes are answered with and what goes directed; unavailable is not offered', async () => {
    const { s, alice, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge, { available: false });
    await s.subscribed(bobPhone, alicePhone);
    const carol = await s.account('carol');
    const carolDesk = await s.online(carol, 'desk', edge);
    await s.stanza('presence', bob, '<presence/>', bobPhone);
    s.forget();
    rewrites.length = 0;

    await s.stanza('presence', alice, '<presence><show>away</show></presence>', alicePhone);
    const [got] = s.received(bobPhone);
    assert.equal(got?.getChildText('show'), 'away');
    assert.ok(got?.getChild('mark', 'urn:example:mark'), 'the broadcast carries the rewrite');
    assert.match((await s.entry(alicePhone))?.presence ?? '', /urn:example:mark/, 'and so does the stored presence probes are answered with');

    await s.stanza('presence', alice, `<presence to="${carol}"><status>hi</status></presence>`, alicePhone);
    assert.ok(s.received(carolDesk)[0]?.getChild('mark', 'urn:example:mark'), 'directed presence too');
    await s.stanza('presence', alice, '<presence><keep/></presence>', alicePhone);
    assert.equal(s.received(bobPhone)[1]?.getChild('mark', 'urn:example:mark'), undefined, 'PASS sends what the client sent');
    await s.stanza('presence', alice, '<presence type="unavailable"/>', alicePhone);
    assert.deepEqual(rewrites, [
      [alice, false],
      [alice, true],
      [alice, false],
    ]);
  });
});
