// The session actor's 'before-route' hook point: a module sees a stanza to the account before
// routing and says what happens to it, explicitly (STYLE.md §5).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ExtensionModule, HANDLED, PASS, refuse, rewrite } from '@parley/ext';
import { xml } from '@parley/xml';
import { actorWorldPerFile, errorCondition } from '../../../tests/harness/actors.ts';

const gate: ExtensionModule = {
  name: 'test-gate',
  specs: [],
  session: {
    beforeRoute: ({ stanza }) => {
      const body = stanza.getChildText('body');
      if (body === 'refuse me') return refuse('not-acceptable', 'refused by the gate');
      if (body === 'drop me') return HANDLED;
      if (body === 'rewrite me') return rewrite(xml('message', { ...stanza.attrs }, xml('body', null, 'rewritten')));
      return PASS;
    },
  },
};

const world = actorWorldPerFile([gate]);

describe('session actor: the before-route hook', () => {
  test('a refusal goes back to the sender as a stanza error and nothing reaches the recipient', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('session', bob, `<message type="chat" to="${bob}" id="r1"><body>refuse me</body></message>`, alicePhone);
    const [error] = s.received(alicePhone);
    assert.equal(errorCondition(error!), 'not-acceptable');
    assert.equal(error?.attr('id'), 'r1');
    assert.deepEqual(s.received(bobPhone), []);
  });

  test('a handled stanza is neither delivered nor answered, and not stored offline', async () => {
    const { s, bob, alicePhone } = await world.aliceAndBob();
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>drop me</body></message>`, alicePhone);
    assert.deepEqual(s.received(alicePhone), []);
    const edge = s.edge('later');
    const bobLater = await s.online(bob, 'later', edge, { available: false });
    await s.stanza('presence', bob, '<presence/>', bobLater);
    assert.deepEqual(s.received(bobLater).filter((m) => m.name === 'message'), []);
  });

  test('a rewritten stanza is routed instead of the original', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>rewrite me</body></message>`, alicePhone);
    assert.deepEqual(s.received(bobPhone).map((m) => m.getChildText('body')), ['rewritten']);
  });

  test('anything else passes untouched', async () => {
    const { s, bob, edge, alicePhone } = await world.aliceAndBob();
    const bobPhone = await s.online(bob, 'phone', edge);
    await s.stanza('session', bob, `<message type="chat" to="${bob}"><body>hello</body></message>`, alicePhone);
    assert.deepEqual(s.received(bobPhone).map((m) => m.getChildText('body')), ['hello']);
  });
});
