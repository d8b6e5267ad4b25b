import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { defaultConfig as defaults } from '@parley/config';
import { createStore, defaultMigrationsDir, migrate, openPglite, type Store } from '@parley/store';
import { LocalBus } from '@parley/bus';
import type { WireMessage } from '@parley/wire';
import { configRoomCommand, createRoomCommand, destroyRoomCommand, listRoomsCommand, RoomCommandError, roomActorsOn, roomJid, withClusterRoomActors } from './rooms.ts';

const config = { ...defaults(), domain: 'example.com' };
let store: Store;
before(async () => {
  const sql = await openPglite(null, { migratedFrom: defaultMigrationsDir });
  await migrate(sql, defaultMigrationsDir);
  store = createStore(sql);
});
after(() => store.close());

test('room names resolve on the configured chatroom service only', () => {
  assert.equal(roomJid(config, 'Tea'), 'tea@conference.example.com');
  assert.equal(roomJid({ ...config, mucDomain: 'rooms.example.com' }, 'tea@rooms.example.com'), 'tea@rooms.example.com');
  assert.throws(() => roomJid(config, 'tea@elsewhere.example'), RoomCommandError);
  assert.throws(() => roomJid(config, 'tea@conference.example.com/nick'), RoomCommandError);
});

test('create, list, config and destroy a room; bad settings are refused', async () => {
  const jid = await createRoomCommand(store, config, 'lobby', 'Admin@example.com', ['name=The Lobby', 'membersOnly=true']);
  assert.equal(jid, 'lobby@conference.example.com');
  await assert.rejects(createRoomCommand(store, config, 'lobby', undefined, []), /exists already/);
  const room = await store.muc.getRoom(jid);
  assert.equal(room?.config.locked, false, 'ready at once');
  assert.equal(room?.config.persistent, true);
  assert.deepEqual(await store.muc.ownedBy('admin@example.com'), [jid]);
  assert.deepEqual(await listRoomsCommand(store, config), ['lobby@conference.example.com  0 occupants  public,persistent,members-only  The Lobby']);
  assert.equal((await configRoomCommand(store, config, 'lobby', ['public=false', 'whois=anyone'])).public, false);
  await assert.rejects(configRoomCommand(store, config, 'lobby', ['public=maybe']), RoomCommandError);
  await assert.rejects(configRoomCommand(store, config, 'lobby', ['colour=red']), /unknown room setting/);
  assert.deepEqual((await configRoomCommand(store, config, 'lobby', ['presenceBroadcast=moderator,participant'])).presenceBroadcast, ['moderator', 'participant']);
  await assert.rejects(configRoomCommand(store, config, 'lobby', ['presenceBroadcast=owner']), /presenceBroadcast is a comma list/);
  assert.equal((await configRoomCommand(store, config, 'lobby', [])).whois, 'anyone');
  assert.equal(await destroyRoomCommand(store, config, 'lobby'), jid);
  await assert.rejects(destroyRoomCommand(store, config, 'lobby'), /no room/);
});

test('config and destroy change the store directly when no chatroom service answers', async () => {
  const bus = new LocalBus<WireMessage>(); // nothing subscribed: no-responders
  const actors = roomActorsOn(bus);
  const jid = await createRoomCommand(store, config, 'quiet', undefined, []);
  assert.equal((await configRoomCommand(store, config, 'quiet', ['public=false'], actors)).public, false);
  assert.equal((await store.muc.getRoom(jid))?.config.public, false);
  await assert.rejects(configRoomCommand(store, config, 'quiet', ['public=maybe'], actors), /public is true or false/);
  assert.equal(await destroyRoomCommand(store, config, 'quiet', 'bye', actors), jid);
  assert.equal(await store.muc.getRoom(jid), null);
  await bus.close();
});

test('cluster mode: over NATS with no chatroom process (or no NATS at all) the CLI changes the store directly', async () => {
  // The machine's NATS, under a cluster name nobody serves: the request finds no responders.
  const cluster = { ...config, natsUrl: 'nats://127.0.0.1:4222', clusterName: `rooms-cli-${process.pid}` };
  const jid = await createRoomCommand(store, config, 'natsroom', undefined, []);
  const changed = await withClusterRoomActors(cluster, async (actors) => {
    assert.ok(actors, 'connected to NATS');
    return configRoomCommand(store, config, 'natsroom', ['name=Over NATS'], actors);
  });
  assert.equal(changed.name, 'Over NATS');
  // Nothing listens on this port: no bus, the store alone.
  const down = { ...config, natsUrl: 'nats://127.0.0.1:1' };
  assert.equal(await withClusterRoomActors(down, async (actors) => (actors ? 'bus' : 'store')), 'store');
  assert.equal(await withClusterRoomActors(down, (actors) => destroyRoomCommand(store, config, 'natsroom', undefined, actors)), jid);
});
