// One contract suite for every LeaseStore (in-memory for embedded mode, Redis for cluster mode).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LeaseStore } from './leases.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runLeaseStoreContract(name: string, open: () => Promise<LeaseStore>): void {
  describe(`lease store contract: ${name}`, () => {
    test('a free shard is acquired once and a live lease cannot be taken by another instance', async () => {
      const s = await open();
      assert.equal(await s.acquire('session', 3, 'a', 5000), 1);
      assert.equal(await s.acquire('session', 3, 'b', 5000), null);
      const owners = await s.owners('session');
      assert.equal(owners.size, 1);
      assert.equal(owners.get(3)?.instance, 'a');
      assert.equal(owners.get(3)?.epoch, 1);
      await s.close();
    });

    test('an expired lease is taken over with the next epoch and the old owner can no longer renew', async () => {
      const s = await open();
      assert.equal(await s.acquire('session', 0, 'a', 40), 1);
      assert.equal(await s.renew('session', 0, 'a', 1, 40), true);
      await sleep(80);
      assert.equal((await s.owners('session')).size, 0);
      assert.equal(await s.renew('session', 0, 'a', 1, 40), false);
      assert.equal(await s.acquire('session', 0, 'b', 5000), 2);
      assert.equal(await s.renew('session', 0, 'a', 1, 5000), false);
      assert.equal(await s.release('session', 0, 'a', 1), false);
      assert.equal((await s.owners('session')).get(0)?.instance, 'b');
      await s.close();
    });

    test('renewal needs the current epoch, and re-acquiring one’s own lease bumps the epoch', async () => {
      const s = await open();
      assert.equal(await s.acquire('session', 7, 'a', 5000), 1);
      assert.equal(await s.renew('session', 7, 'a', 2, 5000), false);
      assert.equal(await s.renew('session', 7, 'b', 1, 5000), false);
      assert.equal(await s.acquire('session', 7, 'a', 5000), 2);
      assert.equal(await s.renew('session', 7, 'a', 1, 5000), false);
      assert.equal(await s.renew('session', 7, 'a', 2, 5000), true);
      await s.close();
    });

    test('release hands the shard over at once and the epoch keeps growing', async () => {
      const s = await open();
      assert.equal(await s.acquire('presence', 1, 'a', 5000), 1);
      assert.equal(await s.release('presence', 1, 'b', 1), false);
      assert.equal(await s.release('presence', 1, 'a', 1), true);
      assert.equal((await s.owners('presence')).has(1), false);
      assert.equal(await s.acquire('presence', 1, 'b', 5000), 2);
      assert.equal((await s.owners('session')).size, 0, 'services are separate');
      await s.close();
    });

    test('members are those whose heartbeat is live, sorted, and leave removes at once', async () => {
      const s = await open();
      await s.join('chatroom', 'c', 5000);
      await s.join('chatroom', 'a', 5000);
      await s.join('chatroom', 'b', 40);
      assert.deepEqual(await s.members('chatroom'), ['a', 'b', 'c']);
      await s.leave('chatroom', 'c');
      await sleep(80);
      assert.deepEqual(await s.members('chatroom'), ['a']);
      await s.close();
    });

    test('a round renews exactly the leases still held at their epoch, heartbeats and lists the live members', async () => {
      const s = await open();
      assert.equal(await s.acquire('session', 1, 'a', 5000), 1);
      assert.equal(await s.acquire('session', 2, 'a', 40), 1);
      assert.equal(await s.acquire('session', 3, 'b', 5000), 1);
      assert.equal(await s.acquire('session', 4, 'a', 5000), 1);
      await s.join('session', 'b', 5000);
      await s.join('session', 'z', 40);
      await sleep(80);
      // 1: held; 2: expired; 3: another's; 4: a stale epoch; 5: never held.
      const held = [1, 2, 3, 4, 5].map((shard) => ({ shard, epoch: 1 }));
      held[3] = { shard: 4, epoch: 2 };
      const r = await s.round('session', 'a', held, 5000);
      assert.deepEqual(r.renewed, [true, false, false, false, false]);
      assert.deepEqual(r.members, ['a', 'b'], 'the caller joined, z expired');
      assert.equal((await s.owners('session')).get(1)?.instance, 'a');
      assert.equal((await s.owners('session')).has(2), false, 'an expired lease is not revived');
      assert.deepEqual(await s.round('session', 'c', [], 5000), { renewed: [], members: ['a', 'b', 'c'] });
      await s.close();
    });
  });
}
