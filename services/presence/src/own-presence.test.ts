// The presence actor's 'own-presence' hook point: every available presence of one of the account's
// resources, with the stanza and whether the resource just became available (entity capabilities).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExtensionModule } from '@parley/ext';
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

const world = actorWorldPerFile([listener]);

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
