// Flood isolation in the mailbox: per-sender lanes served in turn.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActorHost, MailboxFullError } from './host.ts';
import { laneOf } from './serve.ts';

function recordingHost(opts: { maxMailbox?: number; maxLane?: number } = {}) {
  const handled: string[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const host = new ActorHost<null, string, void>(
    {
      activate: async () => null,
      handle: async (_s, msg) => {
        await gate;
        handled.push(msg);
      },
    },
    opts,
  );
  return { host, handled, release };
}

test('a message from another sender is served after one of the flooder’s, not after all of them', async () => {
  const { host, handled, release } = recordingHost();
  const all: Promise<void>[] = [];
  for (let i = 0; i < 100; i++) all.push(host.deliver('victim', `flood${i}`, { lane: 'mallory@x' }));
  all.push(host.deliver('victim', 'hello', { lane: 'alice@x' }));
  release();
  await Promise.all(all);
  assert.ok(handled.indexOf('hello') <= 2, `hello was handled at position ${handled.indexOf('hello')}`);
  // Within a lane the order is kept.
  const flood = handled.filter((m) => m.startsWith('flood'));
  assert.deepEqual(flood, Array.from({ length: 100 }, (_, i) => `flood${i}`));
  host.stop();
});

test('one sender’s lane is capped at its share of the mailbox; others still get in', async () => {
  const { host, release } = recordingHost({ maxMailbox: 20, maxLane: 5 });
  const accepted: Promise<void>[] = [];
  // The first one runs at once; five more wait in the lane.
  for (let i = 0; i < 6; i++) accepted.push(host.deliver('victim', `f${i}`, { lane: 'mallory@x' }));
  await assert.rejects(host.deliver('victim', 'f6', { lane: 'mallory@x' }), MailboxFullError);
  accepted.push(host.deliver('victim', 'hi', { lane: 'alice@x' }));
  release();
  await Promise.all(accepted);
  host.stop();
});

test('the lane of a request is the sending account, for its stanzas and its connection’s end alike', () => {
  const origin = { edge: 'e', conn: 'c', jid: 'alice@x/phone' };
  assert.equal(laneOf({ kind: 'stanza', key: 'bob@x', stanza: undefined as never, origin }), 'alice@x');
  assert.equal(laneOf({ kind: 'resource-gone', key: 'alice@x', jid: 'alice@x/phone', conn: 'c', edge: 'e', available: true }), 'alice@x');
});
