// A presence actor that lost its shard's lease while handling a message writes no roster state:
// the new owner does, when the sender retries (docs/decisions/0006, fencing).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShardMovedError } from '@parley/actor';
import { LocalBus } from '@parley/bus';
import { loadModules } from '@parley/ext';
import { defaultModules } from '@parley/extensions';
import { MemoryLocation } from '@parley/location';
import { silentLogger } from '@parley/log';
import type { RosterItem, Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import { parseFragment } from '@parley/xml';
import { createPresenceHost } from './presence.ts';

test('a roster write is refused with moved once the fence went invalid mid-message, and nothing is stored', async () => {
  const writes: RosterItem[] = [];
  const store = {
    users: { exists: async () => true },
    roster: { get: async () => ({ version: 0, items: [] }), upsert: async (_o: string, i: RosterItem) => {
        writes.push(i);
        return 1;
      }, remove: async () => null },
  } as unknown as Store;
  const location = new MemoryLocation();
  const jid = 'alice@example.com/phone';
  await location.register({ jid, edge: 'e1', conn: 'c1', priority: 0, available: true });
  const host = createPresenceHost({ domain: 'example.com', bus: new LocalBus<WireMessage>(), location, store, log: silentLogger, modules: loadModules(defaultModules({ serverVersion: 't', offlineQuota: 1 })) });
  // Valid when the message's turn comes, lost by the time the roster is written.
  let checks = 0;
  const fence = { shard: 7, epoch: 3, valid: () => checks++ === 0 };
  const stanza = parseFragment(`<iq xmlns="jabber:client" type="set" id="r1" from="${jid}"><query xmlns="jabber:iq:roster"><item jid="bob@example.com"/></query></iq>`);
  await assert.rejects(host.deliver('alice@example.com', { kind: 'stanza', key: 'alice@example.com', stanza, origin: { edge: 'e1', conn: 'c1', jid } }, { fence }), ShardMovedError);
  assert.equal(writes.length, 0, "nothing stored");
  // With a valid fence the same write goes through.
  await host.deliver('alice@example.com', { kind: 'stanza', key: 'alice@example.com', stanza: stanza.clone(), origin: { edge: 'e1', conn: 'c1', jid } }, { fence: { shard: 7, epoch: 4, valid: () => true } });
  assert.deepEqual(writes.map((w) => w.contact), ['bob@example.com']);
  host.stop();
});
