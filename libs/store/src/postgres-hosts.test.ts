// A Postgres URL with several hosts (libpq syntax): parsed into one URL per host, and the first
// server that suits is used. Needs the shared Postgres (PARLEY_TEST_DATABASE_URL); port 1 is a host
// that refuses connections.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_TEST_DATABASE_URL, openPostgres } from './index.ts';
import { postgresHosts } from './postgres-hosts.ts';

const shared = new URL(process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL);

test('a URL with several hosts becomes one URL per host, in order, keeping credentials and parameters', () => {
  assert.deepEqual(postgresHosts('postgres://u:p%40ss@db1:5432,db2:5433,[::1]:5434/parley?sslmode=require&target_session_attrs=read-write'), {
    urls: ['postgres://u:p%40ss@db1:5432/parley?sslmode=require', 'postgres://u:p%40ss@db2:5433/parley?sslmode=require', 'postgres://u:p%40ss@[::1]:5434/parley?sslmode=require'],
    attrs: 'read-write',
  });
  assert.deepEqual(postgresHosts('postgresql://db/parley'), { urls: ['postgresql://db/parley'], attrs: 'any' });
});

test('a target_session_attrs that cannot take writes is refused with the values that can', () => {
  assert.throws(() => postgresHosts('postgres://db1,db2/parley?target_session_attrs=standby'), /target_session_attrs=standby .*use read-write, primary or any/);
});

test('the first host that accepts writes is used when the ones before it are down', async () => {
  const url = `postgres://${shared.username}@127.0.0.1:1,${shared.host}${shared.pathname}?target_session_attrs=read-write`;
  const sql = await openPostgres(url);
  try {
    assert.deepEqual(await sql.query('SELECT 1 AS one'), [{ one: 1 }]);
  } finally {
    await sql.close();
  }
});

test('when no host suits, the error names each one and why, without the password', async () => {
  await assert.rejects(openPostgres('postgres://someone:s3cret@127.0.0.1:1,127.0.0.1:2/none?target_session_attrs=primary'), (err: Error) => {
    assert.match(err.message, /no Postgres server suits target_session_attrs=primary: 127\.0\.0\.1:1: .*; 127\.0\.0\.1:2: /);
    assert.match(err.message, /postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1,127\.0\.0\.1:2/);
    assert.doesNotMatch(err.message, /s3cret/);
    return true;
  });
});
