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
  });
}
