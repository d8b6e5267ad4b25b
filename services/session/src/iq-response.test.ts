// The session actor's 'iq-response' hook point: answers from the account's own resources to IQs a
// module sent on the account's behalf (XEP-0115 disco#info) reach the modules, and are never answered.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ExtensionModule, HANDLED, PASS } from '@parley/ext';
import type { Element } from '@parley/xml';
import { actorWorldPerFile } from '../../../tests/harness/actors.ts';

const seen: Element[] = [];
const listener: ExtensionModule = {
  name: 'test-response',
  specs: [],
  session: {
    response: async ({ stanza }) => {
      seen.push(stanza);
      return stanza.attr('id')?.startsWith('mine-') ? HANDLED : PASS;
    },
  },
};

const world = actorWorldPerFile([listener]);

describe('session actor: the iq-response hook', () => {
  test('a result or error to the bare JID or the domain reaches the modules and is not answered', async () => {
    const { s, alice, alicePhone } = await world.aliceAndBob();
    seen.length = 0;
    await s.stanza('session', alice, `<iq type="result" id="mine-1" to="${alice}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`, alicePhone);
    await s.stanza('session', alice, `<iq type="error" id="other-2"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`, alicePhone);
    assert.deepEqual(
      seen.map((e) => [e.attr('id'), e.attr('type')]),
      [
        ['mine-1', 'result'],
        ['other-2', 'error'],
      ],
    );
    assert.deepEqual(s.received(alicePhone), []);
  });

  test('gets and sets are not responses', async () => {
    const { s, alice, alicePhone } = await world.aliceAndBob();
    seen.length = 0;
    await s.stanza('session', alice, `<iq type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>`, alicePhone);
    assert.deepEqual(seen, []);
    assert.equal(s.received(alicePhone)[0]?.attr('type'), 'result');
  });
});
