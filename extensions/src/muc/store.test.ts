// A room's rebuild after its actor moved (kill -9 of its process): occupants whose connection is
// still in the location service are kept, the others removed, and the remaining occupants told.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ChatroomEnv } from '@parley/ext';
import { MemoryLocation } from '@parley/location';
import { createLogger } from '@parley/log';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { parseFragment } from '@parley/xml';
import { roomBehaviour } from './room.ts';
import { defaultConfig, type Room } from './state.ts';

let store: Store;
before(async () => {
  const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
  await migrate(sql, defaultMigrationsDir);
  store = createStore(sql);
});
after(() => store.close());

test('a rebuilt room keeps live occupants, drops those whose connection is gone, and tells the others', async () => {
  const location = new MemoryLocation();
  const sent: Array<{ to: string[]; xml: string }> = [];
  const env: ChatroomEnv = {
    domain: 'example.com',
    service: 'conference.example.com',
    location,
    store,
    log: createLogger({ level: 'silent' }),
    publish: (rs, xml) => sent.push({ to: [...rs].map((r) => r.jid), xml: [xml].flat().join('') }),
    answer: () => undefined,
    fail: () => undefined,
    tell: () => undefined,
    allowed: async (_from, _kind, targets) => targets,
    occupantPresence: async (_from, stanza) => stanza,
  };
  const room = 'tea@conference.example.com';
  await store.muc.putRoom(room, { ...defaultConfig('tea', 100), locked: false, persistent: true });
  await store.muc.putOccupant(room, { realJid: 'ann@example.com/a', nick: 'ann', role: 'participant', edge: 'e1', conn: 'c1', presence: '<show>away</show>' });
  await store.muc.putOccupant(room, { realJid: 'bob@example.com/b', nick: 'bob', role: 'participant', edge: 'e2', conn: 'c2', presence: null });
  await store.muc.putOccupant(room, { realJid: 'ann@example.com/old', nick: 'ann', role: 'participant', edge: 'e9', conn: 'c9', presence: null });
  await location.register({ jid: 'ann@example.com/a', edge: 'e1', conn: 'c1', priority: 0, available: true });
  // bob's and ann's second connection ended while nobody owned the room.

  const rooms = roomBehaviour({ creators: 'admins', admins: [], maxRoomsPerUser: 1, historySize: 10, maxOccupants: 100, occupantRate: 60, roomRate: 600 });
  const state = (await rooms.activate(env, room)) as Room;
  assert.deepEqual([...state.occupants.keys()], ['ann']);
  assert.deepEqual([...state.occupants.get('ann')!.sessions.keys()], ['ann@example.com/a']);
  assert.deepEqual((await store.muc.occupants(room)).map((o) => o.realJid), ['ann@example.com/a']);
  // ann learns that bob left; nobody is told about ann's dead second session (the nickname stays).
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.to, ['ann@example.com/a']);
  const p = parseFragment(sent[0]!.xml);
  assert.equal(p.attr('from'), `${room}/bob`);
  assert.equal(p.attr('type'), 'unavailable');
});
