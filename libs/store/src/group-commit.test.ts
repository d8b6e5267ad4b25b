import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newArchiveId } from './archive.ts';
import { groupCommit } from './group-commit.ts';

function recorder() {
  const batches: number[][] = [];
  const flush = async (items: number[]) => {
    batches.push(items);
    return items.map((i) => i * 10);
  };
  return { batches, flush };
}

test('writers of one event-loop turn share one statement and each gets its own results', async () => {
  const r = recorder();
  const write = groupCommit(r.flush);
  const [a, b] = await Promise.all([write([1, 2]), write([3])]);
  assert.deepEqual(a, [10, 20]);
  assert.deepEqual(b, [30]);
  assert.deepEqual(r.batches, [[1, 2, 3]]);
});

test('without a delay, a writer of a later turn gets a statement of its own', async () => {
  const r = recorder();
  const write = groupCommit(r.flush);
  const first = write([1]);
  // The next turn, deterministically: immediates run in order, and the batch's was queued first (a
  // 5 ms sleep could fire before it on a busy machine, and the two writes then shared a statement).
  await new Promise((res) => setImmediate(res));
  await Promise.all([first, write([2])]);
  assert.deepEqual(r.batches, [[1], [2]]);
});

test('with a delay, writers arriving within it share one statement', async () => {
  const r = recorder();
  const write = groupCommit(r.flush, { delayMs: 50 });
  const first = write([1]);
  await sleep(5);
  const [a, b] = await Promise.all([first, write([2])]);
  assert.deepEqual([a, b], [[10], [20]]);
  assert.deepEqual(r.batches, [[1, 2]]);
});

test('a delayed writer is not answered before its statement has run', async () => {
  const r = recorder();
  const write = groupCommit(r.flush, { delayMs: 20 });
  let answered = false;
  const w = write([1]).then(() => (answered = true));
  await sleep(5);
  assert.equal(answered, false);
  assert.deepEqual(r.batches, []);
  await w;
  assert.deepEqual(r.batches, [[1]]);
});

test('archive ids from the pool are 16 base64url characters and do not repeat', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(newArchiveId());
  assert.equal(seen.size, 2000);
  for (const id of seen) assert.match(id, /^[A-Za-z0-9_-]{16}$/);
});
