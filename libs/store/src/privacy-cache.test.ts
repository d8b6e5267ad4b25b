import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedPrivacy } from './privacy-cache.ts';
import type { PrivacyPolicy, PrivacyRepo } from './types.ts';

function fakeRepo() {
  let reads = 0;
  let version = 0;
  let gate: Promise<void> | null = null;
  const policy = (): PrivacyPolicy => ({ defaultList: version ? { name: `v${version}`, items: [] } : null, sessions: new Map() });
  const repo = {
    async policies(owners: string[]) {
      reads++;
      const p = policy();
      if (gate) await gate;
      return new Map(owners.map((o) => [o, p]));
    },
    async setDefault() {
      version++;
      return true;
    },
  } as unknown as PrivacyRepo;
  return { repo, reads: () => reads, hold: (g: Promise<void> | null) => (gate = g) };
}

test('policies are read once and then served from memory', async () => {
  const f = fakeRepo();
  const c = cachedPrivacy(f.repo);
  await c.policies(['a@x', 'b@x']);
  await c.policies(['a@x']);
  await c.policies(['b@x', 'a@x']);
  assert.equal(f.reads(), 1);
});

test('a write forgets the owner at once and tells the other processes', async () => {
  const f = fakeRepo();
  const told: string[] = [];
  const c = cachedPrivacy(f.repo, { onChange: (o) => told.push(o) });
  assert.equal((await c.policies(['a@x'])).get('a@x')?.defaultList, null);
  await c.setDefault('a@x', 'v1');
  assert.equal((await c.policies(['a@x'])).get('a@x')?.defaultList?.name, 'v1');
  assert.deepEqual(told, ['a@x']);
});

test('a change from another process, or age, makes the next read go to the store', async () => {
  const f = fakeRepo();
  let t = 0;
  const c = cachedPrivacy(f.repo, { ttlMs: 1000, now: () => t });
  await c.policies(['a@x']);
  c.evict('a@x');
  await c.policies(['a@x']);
  assert.equal(f.reads(), 2);
  t = 1500;
  await c.policies(['a@x']);
  assert.equal(f.reads(), 3);
});

test('what was read while a write happened is used once but not kept', async () => {
  const f = fakeRepo();
  const c = cachedPrivacy(f.repo);
  let open!: () => void;
  f.hold(new Promise((r) => (open = r)));
  const reading = c.policies(['a@x']);
  await c.setDefault('a@x', 'v1'); // lands while the read is in flight
  f.hold(null);
  open();
  assert.equal((await reading).get('a@x')?.defaultList, null);
  assert.equal((await c.policies(['a@x'])).get('a@x')?.defaultList?.name, 'v1');
});
