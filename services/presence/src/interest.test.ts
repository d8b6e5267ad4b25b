// The pruned presence tree (interest.ts) through the actors: a status change costs one bus message per
// interested edge and no per-subscriber location lookup; subscribers are pruned and unpruned as they
// come and go and as subscriptions change; an edge's stale report repairs the tree.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actorWorldPerFile, type EdgeTap, type Resource, type Scene } from '../../../tests/harness/actors.ts';

const world = actorWorldPerFile([], { relayAbove: 2 });

const statusFrom = (s: Scene, r: Resource, publisher: string, status: string) =>
  s.received(r).filter((p) => p.name === 'presence' && p.attr('from')?.startsWith(`${publisher}/`) && p.getChildText('status') === status);

/** Alice online on edge A with `n` subscribers alternating between `edges`; she has sent initial presence. */
async function aliceWithSubscribers(n: number, edgeNames: string[]) {
  const s = world.scene();
  const alice = await s.account('alice');
  const edges = edgeNames.map((e) => s.edge(e));
  const phone = await s.online(alice, 'phone', edges[0]!);
  const subs: Resource[] = [];
  for (let i = 0; i < n; i++) {
    const bare = await s.account(`sub${i}`);
    const r = await s.online(bare, 'pc', edges[i % edges.length]!);
    await s.subscribed(r, phone);
    subs.push(r);
  }
  await s.stanza('presence', alice, '<presence/>', phone);
  s.forget();
  return { s, alice, phone, subs, edges };
}

async function say(s: Scene, alice: string, phone: Resource, status: string): Promise<void> {
  await s.stanza('presence', alice, `<presence><status>${status}</status></presence>`, phone);
}

const deliveries = (edges: EdgeTap[]) => edges.reduce((n, e) => n + e.deliveries().length, 0);

describe('presence along the pruned tree', () => {
  test('a status change reaches 30 subscribers on two edges in two bus messages and no subscriber lookup', async () => {
    const { s, alice, phone, subs, edges } = await aliceWithSubscribers(30, ['a', 'b']);
    const before = world.fanout();
    await say(s, alice, phone, 'busy');
    const after = world.fanout();
    for (const r of subs) assert.equal(statusFrom(s, r, alice, 'busy').length, 1, `${r.jid} got her status`);
    assert.equal(deliveries(edges), 2, 'one delivery per edge');
    assert.equal(after.changes - before.changes, 1);
    assert.equal(after.messages - before.messages, 2);
    assert.deepEqual(
      { build: after.lookups.build - before.lookups.build, repair: after.lookups.repair - before.lookups.repair, roster: after.lookups.roster - before.lookups.roster },
      { build: 0, repair: 0, roster: 0 },
      'the tree answered: no subscriber was looked up',
    );
  });

  test('a subscriber going unavailable is pruned, and unpruned when it comes back', async () => {
    const { s, alice, phone, subs } = await aliceWithSubscribers(3, ['a', 'b']);
    const bob = subs[1]!;
    await s.stanza('presence', bob.bare, '<presence type="unavailable"/>', bob);
    s.forget();
    const before = world.fanout();
    await say(s, alice, phone, 'one');
    assert.deepEqual(statusFrom(s, bob, alice, 'one'), [], 'an unavailable resource gets no broadcast (RFC 6121 §4.4.2)');
    assert.equal(statusFrom(s, subs[0]!, alice, 'one').length, 1);
    await s.stanza('presence', bob.bare, '<presence/>', bob);
    s.forget();
    await say(s, alice, phone, 'two');
    assert.equal(statusFrom(s, bob, alice, 'two').length, 1, 'back in the tree');
    const after = world.fanout();
    assert.equal(after.lookups.build + after.lookups.repair + after.lookups.roster, before.lookups.build + before.lookups.repair + before.lookups.roster);
  });

  test('a login notice that crossed a status change gets the current status; one that did not gets nothing more', async () => {
    const { s, alice, phone, subs } = await aliceWithSubscribers(1, ['a']);
    const erin = subs[0]!;
    await say(s, alice, phone, 'current');
    const current = (await s.location.resources(alice)).find((r) => r.conn === phone.conn)?.presence;
    assert.ok(current);
    const notice = (seen: string) => ({ kind: 'presence-interest' as const, key: alice, subscriber: { jid: erin.jid, edge: erin.edge, conn: erin.conn, priority: 0, seen: { [phone.jid]: seen } }, on: true });
    s.forget();
    await s.request('presence', notice(current));
    assert.deepEqual(s.received(erin), [], 'she had read the current status');
    await s.request('presence', notice('<presence xmlns="jabber:client"><status>stale</status></presence>'));
    assert.deepEqual(statusFrom(s, erin, alice, 'current').length, 1, 'the status she missed');
  });

  test('a cancelled subscription prunes the contact and a new one unprunes it', async () => {
    const { s, alice, phone, subs } = await aliceWithSubscribers(2, ['a']);
    const carol = subs[0]!;
    await s.stanza('presence', alice, `<presence type="unsubscribed" to="${carol.bare}"/>`, phone);
    s.forget();
    await say(s, alice, phone, 'cancelled');
    assert.deepEqual(statusFrom(s, carol, alice, 'cancelled'), []);
    assert.equal(statusFrom(s, subs[1]!, alice, 'cancelled').length, 1);
    await s.subscribed(carol, phone);
    await say(s, alice, phone, 'again');
    assert.equal(statusFrom(s, carol, alice, 'again').length, 1);
  });

  test('an edge reporting a stale target makes the publisher find the session where it moved and send it her presence', async () => {
    const { s, alice, phone, subs, edges } = await aliceWithSubscribers(2, ['a', 'b']);
    const dave = subs[1]!;
    const elsewhere = s.edge('c');
    // XEP-0198 resumption on another edge moves the session to a new connection.
    assert.ok(await s.location.resume(dave.jid, dave.conn, { edge: elsewhere.id, conn: `${dave.conn}-resumed` }, 'sm-test'));
    const before = world.fanout();
    await s.request('presence', { kind: 'presence-stale', key: alice, edge: dave.edge, conns: [dave.conn] });
    const moved: Resource = { ...dave, edge: elsewhere.id, conn: `${dave.conn}-resumed` };
    assert.equal(s.received(moved).filter((p) => p.attr('from') === phone.jid).length, 1, 'her current presence at the new connection');
    assert.equal(world.fanout().lookups.repair - before.lookups.repair, 1);
    s.forget();
    await say(s, alice, phone, 'after the move');
    assert.equal(statusFrom(s, moved, alice, 'after the move').length, 1);
    assert.deepEqual(statusFrom(s, dave, alice, 'after the move'), [], 'not to the old connection');
    assert.equal(deliveries([...edges, elsewhere]), 2, 'edges a and c; b holds nobody now');
  });

  test('a tree wider than the relay threshold goes through relays and still reaches every edge once', async () => {
    const { s, alice, phone, subs, edges } = await aliceWithSubscribers(5, ['a', 'b', 'c', 'd', 'e']);
    const before = world.fanout();
    await say(s, alice, phone, 'wide');
    for (const r of subs) assert.equal(statusFrom(s, r, alice, 'wide').length, 1);
    for (const e of edges) assert.equal(e.deliveries().length, 1, `one delivery at ${e.id}`);
    assert.equal(world.fanout().messages - before.messages, 3, 'five edges in relay groups of two: three messages from the publisher');
  });
});
