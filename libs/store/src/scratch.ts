import { randomBytes } from 'node:crypto';
import { openPostgres } from './postgres.ts';
import type { Sql } from './sql.ts';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * For tests against a real Postgres: opens `url` (default PARLEY_TEST_DATABASE_URL) in a fresh random
 * schema so parallel runs never collide; `close()` drops the schema. Throws with the URL and the cause
 * when the server is unreachable — tests must fail, not skip.
 */
export async function openScratchPostgres(url?: string, opts: { max?: number } = {}): Promise<Sql> {
  const target = url ?? process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
  const schema = `parley_test_${randomBytes(6).toString('hex')}`;
  let sql: Sql;
  try {
    sql = await openPostgres(target, { schema, max: opts.max ?? 4 });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nThese tests need a Postgres server: start one or set PARLEY_TEST_DATABASE_URL.`,
      { cause: err },
    );
  }
  return {
    query: (text, params) => sql.query(text, params),
    exec: (text) => sql.exec(text),
    transaction: (fn) => sql.transaction(fn),
    async close() {
      try {
        await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await sql.close();
      }
    },
  };
}
