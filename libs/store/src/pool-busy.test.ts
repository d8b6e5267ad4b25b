// The pool's "all clients busy" timeout is told apart from other failures (postgres.ts, markPoolBusy),
// with node-postgres's own error. Needs a reachable Postgres (PARLEY_TEST_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/test); when there is none the test fails, it never skips.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { DEFAULT_TEST_DATABASE_URL } from './index.ts';
import { markPoolBusy } from './postgres.ts';

test("a query that waited out the pool's timeout for a busy client is marked resource-constraint", async () => {
  const pool = new pg.Pool({ connectionString: process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL, max: 1, connectionTimeoutMillis: 150 });
  const held = await pool.connect();
  try {
    const err = await pool.connect().then(
      () => assert.fail('the only client is held: the second checkout must time out'),
      (e: unknown) => e,
    );
    markPoolBusy(err);
    assert.equal((err as { condition?: string }).condition, 'resource-constraint');
  } finally {
    held.release();
    await pool.end();
  }
});

test('other failures are left as they are', () => {
  for (const err of [new Error('Connection terminated due to connection timeout'), Object.assign(new Error('syntax error'), { code: '42601' })]) {
    markPoolBusy(err);
    assert.equal((err as { condition?: string }).condition, undefined, err.message);
  }
});
