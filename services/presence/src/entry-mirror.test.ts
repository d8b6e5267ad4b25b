// The edge keeps a copy of each connection's location entry, so that it can register it again if
// the location service loses it (Redis restarted without its data): every change the presence
// actor makes to an entry is reported to the connection's edge.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actorWorldPerFile } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile();

describe('presence actor: the edge learns every change of its connection’s entry', () => {
  test('Alice’s available presence, its priority and her going unavailable reach her edge as entry changes', async () => {
    const { s, alice, edge, alicePhone } = await world.aliceAndBob();
    await s.stanza('presence', alice, '<presence type="unavailable"/>', alicePhone);
    s.forget();

    await s.stanza('presence', alice, '<presence><show>away</show><priority>3</priority></presence>', alicePhone);
    await s.stanza('presence', alice, `<iq type="get" id="r1"><query xmlns="jabber:iq:roster"/></iq>`, alicePhone);
    await s.stanza('presence', alice, '<presence type="unavailable"/>', alicePhone);

    const [available, roster, gone, ...more] = edge.entryPatches(alicePhone.conn);
    assert.deepEqual(more, []);
    assert.equal(available?.available, true);
    assert.equal(available?.priority, 3);
    assert.equal(available?.presence, `<presence from='${alicePhone.jid}'><show>away</show><priority>3</priority></presence>`);
    assert.deepEqual(roster, { rosterInterest: true });
    assert.deepEqual(gone, { available: false, priority: 0, presence: null }, 'the kept presence is cleared');
    // The location service holds the same.
    assert.deepEqual(
      [(await s.entry(alicePhone))?.available, (await s.entry(alicePhone))?.presence],
      [false, undefined],
    );
  });
});
