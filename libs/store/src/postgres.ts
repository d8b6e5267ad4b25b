// Types only at load: node-postgres is imported when a URL is opened, so an embedded server (PGlite)
// never loads it (its idle memory, docs/decisions/0035-embedded-server-memory.md).
import type pg from 'pg';
import { PrimaryPool, postgresHosts } from './postgres-hosts.ts';
import { isStoreUnreachable } from './unreachable.ts';
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

/**
 * Opens a pool to a real Postgres server and checks that it answers before returning. The URL may
 * list several hosts with libpq's target_session_attrs (postgres-hosts.ts): the first that suits is
 * used, and after losing it the next query looks again (failover to a promoted replica).
 */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<Sql> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    // The name goes into a startup option and DDL, so only plain lower-case identifiers are accepted.
    throw new Error(`invalid schema name ${JSON.stringify(opts.schema)}: use [a-z_][a-z0-9_]*`);
  }
  const { urls, attrs } = postgresHosts(url);
  const { default: pgModule } = await import('pg');
  const primary = new PrimaryPool(urls, attrs, (one) => {
    const pool = new pgModule.Pool({
      // node-postgres lets `sslmode` in the URL replace the `ssl` object (and with it our CA), so
      // explicit TLS options take the URL's TLS parameters' place.
      connectionString: opts.ssl !== undefined ? withoutTlsParams(one) : one,
      max: opts.max ?? 10,
      connectionTimeoutMillis: 10_000,
      // node-postgres closes a client idle for 10 s by default. The pool hands out its most recently
      // used client first, so under a steady load the others idle out and every burst (a group commit
      // while another statement runs, a login wave) opens new ones: the cluster bench saw ≈1.4 new
      // Postgres sessions a second, each a backend fork and catalog warm-up (docs/benchmarks.md,
      // decision 0036). A minute keeps the clients of an active process open.
      idleTimeoutMillis: 60_000,
      ...(opts.ssl !== undefined ? { ssl: opts.ssl as pg.PoolConfig['ssl'] } : {}),
      ...(opts.schema !== undefined ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // An idle client that dies is dropped by the pool; the failure surfaces on the next query instead
    // of crashing the process with an unhandled 'error' event.
    pool.on('error', () => {});
    return pool;
  });

  try {
    const pool = await primary.get();
    await pool.query('SELECT 1');
    if (opts.schema !== undefined) {
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
      const found = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [opts.schema]);
      if (found.rowCount === 0) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${opts.schema}`);
    }
  } catch (err) {
    await primary.end().catch(() => {});
    throw new Error(`cannot use Postgres at ${redact(url)}: ${(err as Error).message}`, { cause: err });
  }

  /**
   * Runs `fn` on a client of the server in use. A failure may mean that server is gone (failover);
   * one that came before anything was sent (the connection was refused) is tried once more on the
   * server found next, so a promoted replica takes the query at once.
   */
  const withClient = async <R>(fn: (client: pg.PoolClient, broken: () => void) => Promise<R>): Promise<R> => {
    let pool = await primary.get();
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      markPoolBusy(err);
      primary.failed(pool, err);
      // Refused, or the pool was ended because another query found its server gone.
      if (primary.fixed || !(isStoreUnreachable(err) || primary.replaced(pool))) throw err;
      pool = await primary.get();
      client = await pool.connect().catch((again: unknown) => {
        primary.failed(pool, again);
        throw again;
      });
    }
    let broken = false;
    // A checked-out client has no listener of the pool's: a server that goes away while it is out
    // would emit 'error' unhandled and end the process. The query in flight fails instead.
    const lost = () => {
      broken = true;
    };
    client.on('error', lost);
    try {
      return await fn(client, lost);
    } catch (err) {
      if (isStoreUnreachable(err)) broken = true;
      primary.failed(pool, err);
      throw err;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  };
  let closed = false;
  return {
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      return withClient(async (client) => (await client.query(text, params)).rows as T[]);
    },
    async exec(text) {
      await withClient((client) => client.query(text));
    },
    async transaction(fn) {
      return withClient(async (client, broken) => {
        await client.query('BEGIN');
        try {
          const result = await fn(transactionSql(clientTx(client)));
          const commit = await client.query('COMMIT');
          // Postgres answers COMMIT of an aborted transaction with ROLLBACK and no error.
          if (commit.command === 'ROLLBACK') throw new Error('transaction was aborted and has been rolled back');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch(broken);
          throw err;
        }
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await primary.end();
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

/**
 * node-postgres gives up on a query that waited `connectionTimeoutMillis` for one of the pool's
 * clients, all busy, with this text: overload, not a fault of the request. The error is marked
 * `resource-constraint` so an actor answers its sender that (RFC 6120 §8.3.3.18, type wait) instead of
 * internal-server-error (a 10,000-login burst had 208 roster fetches refused so, docs/benchmarks.md).
 */
const POOL_WAIT_TIMEOUT = /^timeout exceeded when trying to connect$/;

export function markPoolBusy(err: unknown): void {
  if (err instanceof Error && POOL_WAIT_TIMEOUT.test(err.message)) Object.assign(err, { condition: 'resource-constraint' });
}

/** The URL without its password, for error messages (a multi-host URL is no WHATWG URL). */
function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@]*@/i, '$1:***@');
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
