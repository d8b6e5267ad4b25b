import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actorSubject, edgeSubject, hashKey, SHARD_COUNT, shardOf, validToken } from './index.ts';

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
