import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStoreUnreachable } from './unreachable.ts';

test('a refused, reset or lost connection and a server shutting down or starting up count as unreachable', () => {
  for (const err of [
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    Object.assign(new Error('connection failure'), { code: '08006' }),
    new Error('archive write failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) }),
  ]) {
    assert.equal(isStoreUnreachable(err), true, err.message);
  }
});

test('a failure of the request itself does not', () => {
  for (const err of [
    Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    Object.assign(new Error('syntax error'), { code: '42601' }),
    new Error('something else'),
    undefined,
    'text',
  ]) {
    assert.equal(isStoreUnreachable(err), false, String(err));
  }
});
