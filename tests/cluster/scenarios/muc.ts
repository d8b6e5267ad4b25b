// Chatrooms in cluster mode: occupants on two edges, room actors on two chatroom processes, and
// the process owning the room killed (kill -9) mid-conversation. The survivor takes the shard
// after the lease TTL, rebuilds the room and its occupants from Postgres, and the conversation
// goes on: the edge retries the hand-offs that were in flight (issue 8 items 3 and 5); the room's
// archive holds each message once (issue 10: archive queries for rooms). `parley room config` reaches
// the room's actor over NATS. No other scenario uses the chatroom processes, so the kill harms none.
import assert from 'node:assert/strict';
import { defaultConfig } from '@parley/config';
import { configRoomCommand, withClusterRoomActors } from '../../../services/cli/src/rooms.ts';
import { bodyFrom, codesOf, createRoom, groupchat, join } from '../../harness/muc.ts';
import { XmppJsClient, xml } from '../../harness/xmppjs.ts';
import { DOMAIN, password } from '../harness.ts';
import type { Scenario } from '../shared.ts';

const SERVICE = `conference.${DOMAIN}`;

export async function roomSurvivesKill({ cluster, t, user, addUsers }: Scenario): Promise<void> {
  const open: XmppJsClient[] = [];
  try {
    await addUsers(['alice', 'bob', 'carol', 'dave']);
    const [edge1, edge2] = cluster.edges();
    assert.ok(edge1 && edge2);
    const connect = async (name: string, edge: typeof edge1) => {
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: user(name), password: password(user(name)), fingerprint: edge.fingerprint });
      open.push(c);
      return c;
    };
    const [alice, bob, carol] = [await connect('alice', edge1), await connect('bob', edge2), await connect('carol', edge1)];

    // A room whose shard the first chatroom process owns: that is the process we kill.
    let room = '';
    for (let i = 0; i < 500 && !room; i++) if ((await cluster.shardOwner('chatroom', `tea${i}@${SERVICE}`)) === 'chatroom-1') room = `tea${i}@${SERVICE}`;
    assert.ok(room, 'some room lives on chatroom-1');

    await createRoom(alice, room, 'alice', { persistentroom: '1' });
    await join(bob, room, 'bob');
    await join(carol, room, 'carol');
    await groupchat(bob, room, 'hello from edge 2');
    for (const c of [alice, bob, carol]) await bodyFrom(c, `${room}/bob`, 'hello from edge 2');

    // `parley room config` in cluster mode: a room-admin request over NATS to the room's actor, so
    // occupants on both edges are told at once (XEP-0045 §10.2.1), not just the database changed.
    const cli = { ...defaultConfig(), domain: DOMAIN, natsUrl: cluster.urls.nats, clusterName: cluster.name };
    const changed = await withClusterRoomActors(cli, (actors) => configRoomCommand(cluster.store, cli, room, ['name=Tea over NATS'], actors));
    assert.equal(changed.name, 'Tea over NATS');
    for (const c of [alice, bob]) await c.next((e) => e.is('message') && e.attrs.from === room && codesOf(e).includes('104'), 'the config change note');

    await groupchat(alice, room, 'just before the crash');
    await cluster.live('chatroom').find((p) => p.name === 'chatroom-1')!.kill();
    // Sent while nobody owns the room: the edge holds the hand-off and retries at the new owner.
    await groupchat(bob, room, 'during the failover');
    for (const c of [alice, carol]) {
      await bodyFrom(c, `${room}/alice`, 'just before the crash');
      await bodyFrom(c, `${room}/bob`, 'during the failover');
    }
    assert.equal(await cluster.shardOwner('chatroom', room), 'chatroom-2');

    // The occupants were rebuilt: a newcomer sees all three, and they are still joined (XEP-0410).
    const dave = await connect('dave', edge2);
    await join(dave, room, 'dave');
    for (const nick of ['alice', 'bob', 'carol']) await dave.presence(`${room}/${nick}`, undefined, `${nick} present after failover`);
    await alice.ping(`${room}/alice`);
    await groupchat(carol, room, 'still here');
    for (const c of [alice, bob]) await bodyFrom(c, `${room}/carol`, 'still here');

    // The room archive (XEP-0313 §5.1.2) in Postgres: each message once, the retried hand-off too,
    // served by the room's new owner with the stanza-id the occupants saw.
    const sid = (await bodyFrom(dave, `${room}/carol`, 'still here')).getChild('stanza-id', 'urn:xmpp:sid:0');
    assert.equal(sid?.attrs.by, room);
    const fin = await dave.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'cluster' })));
    assert.equal(fin.getChild('fin', 'urn:xmpp:mam:2')?.attrs.complete, 'true');
    const archived = dave.inbox.take((e) => e.is('message') && e.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'cluster');
    const forwarded = archived.map((m) => m.getChild('result', 'urn:xmpp:mam:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!);
    // Alice's and Bob's messages around the crash were both in flight and retried: either order, each once.
    const bodies = forwarded.map((m) => m.getChildText('body'));
    assert.deepEqual([bodies[0], [...bodies.slice(1, 3)].sort(), bodies[3], bodies.length], ['hello from edge 2', ['during the failover', 'just before the crash'], 'still here', 4]);
    assert.equal(archived[3]!.getChild('result', 'urn:xmpp:mam:2')!.attrs.id, sid?.attrs.id);

    // A session that ends leaves the room (the presence service tells the room actor).
    await carol.stop();
    const gone = await alice.presence(`${room}/carol`, 'unavailable', 'carol gone');
    assert.deepEqual(codesOf(gone), []);
    t.diagnostic(`room ${room} moved from chatroom-1 to chatroom-2`);
  } catch (err) {
    t.diagnostic(cluster.logTail(20));
    throw err;
  } finally {
    await Promise.all(open.map((c) => c.stop()));
  }
}
