import pg from 'pg';
import { type Sql, transactionSql } from './sql.ts';

export interface PostgresOptions {
  /** Passed to node-postgres (`true`, or a `tls.connect` options object with `ca`, `rejectUnauthorized` …). */
  ssl?: boolean | object;
  /** Pool size; default 10. */
  max?: number;
  /** Schema to use (set as search_path on every pooled connection); created when missing. */
  schema?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens a pool to a real Postgres server and checks that it answers before returning. */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Sql> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    // The name goes into a startup option and DDL, so only plain lower-case identifiers are accepted.
    throw new Error(`invalid schema name ${JSON.stringify(opts.schema)}: use [a-z_][a-z0-9_]*`);
  }
  const pool = new pg.Pool({
    // node-postgres lets `sslmode` in the URL replace the `ssl` object (and with it our CA), so
    // explicit TLS options take the URL's TLS parameters' place.
    connectionString: opts.ssl !== undefined ? withoutTlsParams(url) : url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 10_000,
    ...(opts.ssl !== undefined ? { ssl: opts.ssl as pg.PoolConfig['ssl'] } : {}),
    ...(opts.schema !== undefined ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client that dies is dropped by the pool; the failure surfaces on the next query instead
  // of crashing the process with an unhandled 'error' event.
  pool.on('error', () => {});

  try {
    await pool.query('SELECT 1');
    if (opts.schema !== undefined) {
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
      const found = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [opts.schema]);
      if (found.rowCount === 0) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`cannot use Postgres at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }

  let closed = false;
  return {
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      return (await pool.query(text, params)).rows as T[];
    },
    async exec(text) {
      await pool.query(text);
    },
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      // A checked-out client has no listener of the pool's: a server that goes away mid-transaction
      // would emit 'error' unhandled and end the process. The query in flight fails instead.
      const lost = () => {
        broken = true;
      };
      client.on('error', lost);
      try {
        await client.query('BEGIN');
        const result = await fn(transactionSql(clientTx(client)));
        const commit = await client.query('COMMIT');
        // Postgres answers COMMIT of an aborted transaction with ROLLBACK and no error.
        if (commit.command === 'ROLLBACK') throw new Error('transaction was aborted and has been rolled back');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      } finally {
        client.off('error', lost);
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function clientTx(client: pg.PoolClient) {
  return {
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      return (await client.query(text, params)).rows as T[];
    },
    async exec(text: string) {
      await client.query(text);
    },
  };
}

/** The URL without its password, for error messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The URL without sslmode/sslrootcert/sslcert/sslkey/ssl (left as it is when it does not parse). */
function withoutTlsParams(url: string): string {
  try {
    const u = new URL(url);
    for (const k of ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey']) u.searchParams.delete(k);
    return u.toString();
  } catch {
    return url;
  }
}
