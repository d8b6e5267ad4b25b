import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ArchivePrefs, ArchiveRepo } from './archive.ts';
import { cachedArchivePrefs } from './archive-prefs-cache.ts';

function fakeRepo() {
  let reads = 0;
  let stored: ArchivePrefs | null = null;
  let gate: Promise<void> | null = null;
  const repo = {
    async getPrefs() {
      reads++;
      const p = stored;
      if (gate) await gate;
      return p;
    },
    async setPrefs(_owner: string, prefs: ArchivePrefs) {
      stored = prefs;
    },
  } as unknown as ArchiveRepo;
  return { repo, reads: () => reads, hold: (g: Promise<void> | null) => (gate = g) };
}
const never: ArchivePrefs = { defaultMode: 'never', always: [], never: [] };

test('preferences, and their absence, are read once and then served from memory', async () => {
  const f = fakeRepo();
  const c = cachedArchivePrefs(f.repo);
  assert.equal(await c.getPrefs('a@x'), null);
  assert.equal(await c.getPrefs('a@x'), null);
  assert.equal(f.reads(), 1);
});

test('a write forgets the owner at once and tells the other processes; their notice forgets it too', async () => {
  const f = fakeRepo();
  const told: string[] = [];
  const c = cachedArchivePrefs(f.repo, { onChange: (o) => told.push(o) });
  assert.equal(await c.getPrefs('a@x'), null);
  await c.setPrefs('a@x', never);
  assert.deepEqual(await c.getPrefs('a@x'), never);
  assert.deepEqual(told, ['a@x']);
  c.evict('a@x');
  await c.getPrefs('a@x');
  assert.equal(f.reads(), 3);
});

test('a read that started before a write does not keep what it read', async () => {
  const f = fakeRepo();
  const c = cachedArchivePrefs(f.repo);
  let open!: () => void;
  f.hold(new Promise<void>((r) => (open = r)));
  const stale = c.getPrefs('a@x');
  await c.setPrefs('a@x', never);
  open();
  assert.equal(await stale, null);
  f.hold(null);
  assert.deepEqual(await c.getPrefs('a@x'), never);
});

test('entries expire after the time to live, and the oldest goes first beyond the bound', async () => {
  const f = fakeRepo();
  let t = 0;
  const c = cachedArchivePrefs(f.repo, { ttlMs: 1000, maxEntries: 2, now: () => t });
  await c.getPrefs('a@x');
  t = 1000;
  await c.getPrefs('a@x');
  assert.equal(f.reads(), 2, 'expired');
  await c.getPrefs('b@x');
  await c.getPrefs('c@x');
  await c.getPrefs('a@x');
  assert.equal(f.reads(), 5, 'a@x was the oldest of three and went');
});
