import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorHost, MailboxFullError } from './host.ts';

test('messages for one key are handled one at a time and in order', async () => {
  const log: string[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const host = new ActorHost<null, number, number>({
    activate: async () => null,
    handle: async (_s, n, key) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await new Promise((r) => setTimeout(r, n % 3));
      log.push(`${key}:${n}`);
      concurrent--;
      return n;
    },
  });
  const results = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => host.deliver('a', n)));
  assert.deepEqual(results, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(log, ['a:0', 'a:1', 'a:2', 'a:3', 'a:4', 'a:5']);
  assert.equal(maxConcurrent, 1);
  host.stop();
});

test('a full mailbox refuses with resource-constraint instead of losing messages', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const host = new ActorHost<null, number, number>(
    { activate: async () => null, handle: async (_s, n) => { await gate; return n; } },
    { maxMailbox: 2 },
  );
  const first = host.deliver('k', 1); // running
  const queued = [host.deliver('k', 2), host.deliver('k', 3)];
  await assert.rejects(host.deliver('k', 4), (e) => e instanceof MailboxFullError && e.condition === 'resource-constraint');
  release();
  assert.deepEqual(await Promise.all([first, ...queued]), [1, 2, 3]);
  host.stop();
});

test('a failing message does not stop the actor and its state is rebuilt', async () => {
  let activations = 0;
  const host = new ActorHost<{ n: number }, string, number>({
    activate: async () => ({ n: ++activations }),
    handle: async (s, m) => {
      if (m === 'boom') throw new Error('boom');
      return s.n;
    },
  });
  assert.equal(await host.deliver('k', 'ok'), 1);
  await assert.rejects(host.deliver('k', 'boom'));
  assert.equal(await host.deliver('k', 'ok'), 2);
  host.stop();
});
