import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actorSubject, edgeSubject, hashKey, isS2sEdge, s2sEdge, SHARD_COUNT, shardOf, validToken } from './index.ts';

test('the same key always maps to the same shard subject', () => {
  assert.equal(actorSubject('session', 'alice@example.com'), actorSubject('session', 'alice@example.com'));
  assert.match(actorSubject('presence', 'bob@example.com'), /^parley\.actor\.presence\.\d+$/);
});

test('keys spread over all shards', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 5000; i++) seen.add(shardOf(`user${i}@example.com`));
  assert.equal(seen.size, SHARD_COUNT);
});

test('fnv-1a matches the reference value', () => {
  assert.equal(hashKey(''), 0x811c9dc5);
  assert.equal(hashKey('a'), 0xe40c292c);
});

test('edge ids that could inject subject tokens are refused', () => {
  assert.equal(edgeSubject('edge-1'), 'parley.edge.edge-1');
  assert.throws(() => edgeSubject('a.b'));
  assert.throws(() => edgeSubject('>'));
  assert.throws(() => edgeSubject(''));
  assert.equal(validToken('x*'), false);
});

test('everything for one remote domain goes to one federation shard: hand-offs and deliveries alike', () => {
  const subject = actorSubject('s2s', 'b.test');
  for (const address of ['bob@b.test', 'carol@b.test', 'bob@b.test/phone']) assert.equal(actorSubject('s2s', address), subject, address);
  assert.equal(s2sEdge('bob@b.test'), s2sEdge('b.test'));
  assert.ok(validToken(s2sEdge('b.test')), 'a delivery edge id is a subject token');
  assert.ok(isS2sEdge(s2sEdge('b.test')));
  assert.equal(isS2sEdge('edge-1'), false);
  // Actor services still shard by the whole key.
  const shards = new Set(['a@b.test', 'b@b.test', 'c@b.test', 'd@b.test', 'e@b.test'].map((k) => actorSubject('session', k)));
  assert.ok(shards.size > 1);
});
