// A join burst against a busy room in cluster mode (issue 8; docs/decisions/0031). The room's actor
// is held up by its store (a lock on the occupant table, as a slow Postgres would) for longer than
// the edges' whole hand-off retry budget while 100 users on two edges ask to enter at once: the
// actor answers the waiting hand-offs 'queued', the edges keep waiting instead of refusing with
// resource-constraint, and every join succeeds once the store answers. Before, every one was refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPostgres } from '@parley/store';
import { codesOf, createRoom, MUC } from '../harness/muc.ts';
import { XmppJsClient, xml } from '../harness/xmppjs.ts';
import { DOMAIN, password, TestCluster } from './harness.ts';

const SERVICE = `conference.${DOMAIN}`;
const JOINERS = 100;
/** Longer than the cluster hand-off budget of the old edge (12 attempts of 2 s plus backoff, ~27 s at the test lease timing). */
const HELD_MS = 32_000;

test('100 simultaneous joins over two edges to a room whose actor is held up all succeed once it answers', { timeout: 420_000 }, async (t) => {
  const cluster = await TestCluster.start({
    edges: 2,
    sessions: 1,
    presences: 1,
    chatrooms: 1,
    label: 'muc-burst',
    env: { PARLEY_MUC_CREATORS: 'local', PARLEY_LIMIT_EXEMPT_ADDRESSES: '127.0.0.1' },
  });
  const sql = await openPostgres(cluster.urls.database, { schema: cluster.schema, max: 2 });
  const open: XmppJsClient[] = [];
  let release = () => {};
  try {
    const names = Array.from({ length: JOINERS }, (_, i) => `joiner${i}`);
    await cluster.addUsers(['owner', ...names]);
    const edges = cluster.edges();
    const connect = async (user: string, i: number) => {
      const edge = edges[i % edges.length]!;
      const c = await XmppJsClient.connect({ service: `xmpp://127.0.0.1:${edge.c2s}`, domain: DOMAIN, username: user, password: password(user), fingerprint: edge.fingerprint });
      open.push(c);
      return c;
    };
    const owner = await connect('owner', 0);
    const room = `burst@${SERVICE}`;
    await createRoom(owner, room, 'owner', { persistentroom: '1' });
    const joiners: XmppJsClient[] = [];
    for (let i = 0; i < names.length; i += 20) joiners.push(...(await Promise.all(names.slice(i, i + 20).map((n, j) => connect(n, i + j)))));

    // Hold the room actor: its next occupant write waits on this lock, every later stanza behind it.
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const lock = sql.transaction(async (tx) => {
      await tx.exec('LOCK TABLE muc_occupants IN SHARE MODE');
      locked();
      await held;
    });
    await lockTaken;
    t.diagnostic(`${JOINERS} users online, the room held`);
    const started = Date.now();
    await Promise.all(joiners.map((c, i) => c.send(xml('presence', { to: `${room}/${names[i]}` }, xml('x', { xmlns: MUC })))));
    const outcomes = joiners.map((c, i) =>
      c.next((e) => e.is('presence') && e.attrs.from === `${room}/${names[i]}` && (e.attrs.type === 'error' || codesOf(e).includes('110')), `${names[i]} entering`, HELD_MS + 120_000),
    );
    // Nobody is answered while the actor is held: not even an error (the old edge refused here).
    const early = await Promise.race([Promise.race(outcomes), new Promise<null>((r) => setTimeout(() => r(null), HELD_MS))]);
    assert.equal(early, null, `answered while the room was held: ${early?.toString()}`);
    t.diagnostic('nobody answered while held; releasing');
    release();
    await lock;
    const answers = await Promise.all(outcomes);
    const refused = answers.filter((p) => p.attrs.type === 'error').map((p) => p.getChild('error')?.toString());
    assert.deepEqual(refused, [], 'no join refused');
    t.diagnostic(`${JOINERS} joins held ${HELD_MS} ms, all in after ${Date.now() - started} ms`);

    // Everyone is in, and everyone is in once: the owner saw each join exactly once (the self-ping
    // goes through the room actor after every join, and its answer behind their presences).
    await owner.ping(`${room}/owner`);
    const seen = owner.inbox.take((e) => e.is('presence') && (e.attrs.from ?? '').startsWith(`${room}/joiner`) && e.attrs.type === undefined);
    assert.equal(seen.length, JOINERS);
    assert.equal(new Set(seen.map((p) => p.attrs.from)).size, JOINERS);
    const rows = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM muc_occupants WHERE room = $1', [room]);
    assert.equal(rows[0]?.n, JOINERS + 1);
  } catch (err) {
    t.diagnostic(cluster.logTail(20));
    throw err;
  } finally {
    release(); // a failed assertion must not leave the lock (and the pool's close) hanging
    await Promise.all(open.map((c) => c.stop().catch(() => {})));
    await sql.close();
    await cluster.stop();
  }
});
