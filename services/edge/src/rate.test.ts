import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenBucket } from './rate.ts';

test('a connection within its burst is never delayed', () => {
  let t = 0;
  const b = new TokenBucket(1000, 5000, () => t);
  assert.equal(b.take(4000), 0);
  t += 1000;
  assert.equal(b.take(1000), 0);
});

test('a flood beyond the burst must wait in proportion to the excess', () => {
  let t = 0;
  const b = new TokenBucket(1000, 1000, () => t);
  assert.equal(b.take(1000), 0);
  assert.equal(b.take(500), 500);
  t += 500;
  assert.equal(b.take(0), 0);
});
