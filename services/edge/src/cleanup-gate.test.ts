import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CleanupGate } from './cleanup-gate.ts';

const tick = () => new Promise((r) => setImmediate(r));

test('at most `limit` clean-ups run at once; the others start in order as slots free', async () => {
  const gate = new CleanupGate(2);
  const started: number[] = [];
  const finish: Array<() => void> = [];
  const runs = [0, 1, 2, 3, 4].map((i) =>
    gate.run(async () => {
      started.push(i);
      await new Promise<void>((r) => finish.push(r));
      return i * 10;
    }),
  );
  await tick();
  assert.deepEqual(started, [0, 1]);
  assert.equal(gate.pending(), 5);
  finish[1]!();
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  finish[0]!();
  finish[2]!();
  await tick();
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  finish[3]!();
  finish[4]!();
  assert.deepEqual(await Promise.all(runs), [0, 10, 20, 30, 40]);
  assert.equal(gate.pending(), 0);
});

test('a failed clean-up frees its slot and reports its error', async () => {
  const gate = new CleanupGate(1);
  const failed = gate.run(async () => {
    throw new Error('bus down');
  });
  const next = gate.run(async () => 'ran');
  await assert.rejects(failed, /bus down/);
  assert.equal(await next, 'ran');
  assert.equal(gate.pending(), 0);
});

test('a limit that is not a positive integer is refused', () => {
  assert.throws(() => new CleanupGate(0), /positive integer/);
  assert.throws(() => new CleanupGate(1.5), /positive integer/);
});
