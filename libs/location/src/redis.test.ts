// Runs the location contract and Redis-specific races against the real Redis
// (PARLEY_TEST_REDIS_URL); fails, never skips, when it is unreachable. Every test gets its own
// random key prefix, all deleted after the run.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { runLocationContract } from './contract.ts';
import { runResumptionContract } from './resume-contract.ts';
import type { ResourceEntry } from './location.ts';
import { RedisLocation } from './redis.ts';

const url = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `parley-test:${randomBytes(6).toString('hex')}:`;
let n = 0;
const extra: Redis[] = [];

async function open(prefix = `${runPrefix}${n++}:`): Promise<RedisLocation> {
  try {
    return await RedisLocation.connect(url, { prefix });
  } catch (err) {
    throw new Error(`Redis is required for these tests (PARLEY_TEST_REDIS_URL=${url}): ${(err as Error).message}`);
  }
}

before(async () => {
  // One clear failure up front instead of one per test.
  await (await open()).close();
});

after(async () => {
  for (const r of extra) r.disconnect();
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    return; // Unreachable: the before hook already failed loudly and nothing was written.
  }
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
});

runLocationContract('redis', () => open());
runResumptionContract('redis', () => open());

/** What a restart without persistence leaves of one test's keys: nothing. */
async function wipe(prefix: string): Promise<void> {
  const redis = new Redis(url);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}

const entry = (jid: string, conn: string, edge = 'e1'): ResourceEntry => ({ jid, conn, edge, priority: 0, available: false });

describe('redis location', () => {
  test('exactly one of 100 parallel registers of the same full JID wins, across connections', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const locs = await Promise.all([1, 2, 3, 4].map(() => open(prefix)));
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => locs[i % 4]?.register(entry('race@x/r', `c${i}`, `e${i % 4}`))),
    );
    const winners = results.filter((r) => r?.ok);
    assert.equal(winners.length, 1);
    const [owner] = await locs[0]!.resources('race@x');
    for (const r of results) if (r && !r.ok) assert.equal(r.current.conn, owner?.conn);
    assert.equal(await locs[0]!.count(), 1);
    for (const l of locs) await l.close();
  });

  test('a stale owner can neither unregister, update nor replace after a takeover', async () => {
    const loc = await open();
    await loc.register(entry('a@x/r', 'old', 'e1'));
    assert.equal(await loc.replace(entry('a@x/r', 'new', 'e2'), 'old'), true);
    assert.equal(await loc.unregister('a@x/r', 'old'), false);
    assert.equal(await loc.update('a@x/r', 'old', { available: true }), false);
    assert.equal(await loc.replace(entry('a@x/r', 'older', 'e1'), 'old'), false);
    const [r] = await loc.resources('a@x');
    assert.deepEqual([r?.conn, r?.edge, r?.available], ['new', 'e2', false]);
    // The old edge going away does not take the new owner with it.
    await loc.heartbeat('e2', 60_000);
    assert.deepEqual(await loc.reapDeadEdges(), []);
    assert.equal(await loc.count(), 1);
    assert.equal(await loc.unregister('a@x/r', 'new'), true);
    assert.equal(await loc.count(), 0);
    await loc.close();
  });

  test('parallel replaces against the same expected owner let exactly one through', async () => {
    const loc = await open();
    await loc.register(entry('a@x/r', 'c0'));
    const wins = await Promise.all(Array.from({ length: 50 }, (_, i) => loc.replace(entry('a@x/r', `c${i + 1}`), 'c0')));
    assert.equal(wins.filter(Boolean).length, 1);
    await loc.close();
  });

  test('an update keeps the fields it does not name and can clear the last presence', async () => {
    const loc = await open();
    await loc.register({ ...entry('a@x/r', 'c1'), priority: 3, presence: '<presence><show>away</show></presence>' });
    assert.equal(await loc.update('a@x/r', 'c1', { available: true }), true);
    let [r] = await loc.resources('a@x');
    assert.deepEqual([r?.priority, r?.available, r?.presence], [3, true, '<presence><show>away</show></presence>']);
    assert.equal(await loc.update('a@x/r', 'c1', { presence: undefined, priority: -1 }), true);
    [r] = await loc.resources('a@x');
    assert.deepEqual([r?.priority, r?.presence, r?.jid, r?.conn], [-1, undefined, 'a@x/r', 'c1']);
    await loc.close();
  });

  test('an update cannot move an entry to another edge or connection', async () => {
    const loc = await open();
    await loc.register(entry('a@x/r', 'c1', 'e1'));
    const sneaky = { available: true, edge: 'evil', conn: 'c9' } as unknown as { available: boolean };
    assert.equal(await loc.update('a@x/r', 'c1', sneaky), true);
    const [r] = await loc.resources('a@x');
    assert.deepEqual([r?.edge, r?.conn, r?.available], ['e1', 'c1', true]);
    await loc.close();
  });

  test('non-ASCII JIDs and presence survive the scripts unchanged', async () => {
    const loc = await open();
    const jid = 'jürgen@例え.jp/Gajim ☕';
    await loc.register({ ...entry(jid, 'c1'), presence: '<presence><status>on a 🚆 "quoted" / \\ </status></presence>' });
    assert.equal(await loc.update(jid, 'c1', { available: true }), true);
    const [r] = await loc.resources('jürgen@例え.jp');
    assert.equal(r?.jid, jid);
    assert.equal(r?.presence, '<presence><status>on a 🚆 "quoted" / \\ </status></presence>');
    await loc.close();
  });

  test('removing an edge with more entries than one batch removes all of them', async () => {
    const loc = await open();
    await Promise.all(Array.from({ length: 1200 }, (_, i) => loc.register(entry(`u${i}@x/r`, `c${i}`, 'big'))));
    await loc.register(entry('other@x/r', 'o1', 'small'));
    const removed = await loc.removeEdge('big');
    assert.equal(removed.length, 1200);
    assert.equal(await loc.count(), 1);
    const m = await loc.resourcesOf(['u0@x', 'u1199@x', 'other@x']);
    assert.deepEqual([m.get('u0@x'), m.get('u1199@x'), m.get('other@x')?.length], [[], [], 1]);
    await loc.close();
  });

  test('the reaper leaves no keys behind for a dead edge', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const loc = await open(prefix);
    await loc.heartbeat('gone', 30);
    await loc.register(entry('a@x/1', 'c1', 'gone'));
    assert.equal(await loc.unregister('a@x/1', 'c1'), true);
    await loc.register(entry('a@x/2', 'c2', 'gone'));
    const redis = new Redis(url);
    extra.push(redis);
    while ((await redis.exists(`${prefix}alive:gone`)) === 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await loc.reapDeadEdges()).length, 1);
    const keys = (await redis.keys(`${prefix}*`)).sort();
    assert.deepEqual(keys, [`${prefix}count`, `${prefix}epoch`]);
    assert.equal(await redis.get(`${prefix}count`), '0');
    await loc.close();
  });

  test('two reapers running at once report each dead entry exactly once', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const [a, b] = [await open(prefix), await open(prefix)];
    await Promise.all(Array.from({ length: 300 }, (_, i) => a.register(entry(`u${i}@x/r`, `c${i}`, `dead${i % 3}`))));
    const [ra, rb] = await Promise.all([a.reapDeadEdges(), b.reapDeadEdges()]);
    const all = [...ra, ...rb].map((r) => r.jid);
    assert.equal(all.length, 300);
    assert.equal(new Set(all).size, 300);
    assert.equal(await a.count(), 0);
    await a.close();
    await b.close();
  });

  test('an edge notices that Redis lost its data at its next heartbeat, and lookups elsewhere count as recovering', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const edge = await open(prefix);
    const router = await open(prefix);
    await edge.heartbeat('e1', 60_000);
    assert.equal(await edge.heartbeat('e1', 60_000), true);
    await edge.register(entry('a@x/r', 'c1', 'e1'));
    assert.equal(await router.recovering(), false);
    await wipe(prefix);
    // The router finds the epoch gone before any edge beats: uncertain, not "offline".
    assert.equal(await router.recovering(), true);
    assert.deepEqual(await router.resources('a@x'), []);
    assert.equal(await edge.heartbeat('e1', 60_000), false, 'the edge must register its sessions again');
    assert.deepEqual(await edge.register(entry('a@x/r', 'c1', 'e1')), { ok: true });
    assert.equal(await edge.heartbeat('e1', 60_000), true);
    await edge.close();
    await router.close();
  });

  test('a failover to a replica that missed the last heartbeat is noticed by the edge', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const edge = await open(prefix);
    const redis = new Redis(url);
    extra.push(redis);
    await edge.heartbeat('e1', 60_000);
    const before = await redis.get(`${prefix}alive:e1`);
    assert.equal(await edge.heartbeat('e1', 60_000), true);
    // What a replica lagging one beat behind holds: the marker of the beat before.
    await redis.set(`${prefix}alive:e1`, before!, 'PX', 60_000);
    assert.equal(await edge.heartbeat('e1', 60_000), false);
    const other = await open(prefix);
    assert.equal(await other.recovering(), true);
    await edge.close();
    await other.close();
  });

  test('a process that starts on an empty Redis starts no recovery', async () => {
    const prefix = `${runPrefix}${n++}:`;
    const first = await open(prefix);
    const second = await open(prefix);
    assert.equal(await first.recovering(), false);
    assert.equal(await second.recovering(), false);
    assert.equal(await first.heartbeat('e1', 60_000), false);
    assert.equal(await second.recovering(), false);
    await first.close();
    await second.close();
  });

  test('an unreachable Redis fails with a clear message', async () => {
    await assert.rejects(RedisLocation.connect('redis://127.0.0.1:1'), (e: Error) =>
      e.message.startsWith('cannot connect to Redis at redis://127.0.0.1:1'),
    );
  });
});
