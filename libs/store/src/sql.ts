/** The one interface both storage back ends implement (PGlite embedded, node-postgres in cluster mode). */
export interface Sql {
  /** One statement with `$1..$n` parameters; returns its rows. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements, no parameters (migrations). */
  exec(text: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: commit when it resolves, roll back when it throws.
   * Inside `fn` use only `tx` (PGlite has a single connection, so the outer handle waits for the
   * transaction to end). Nested calls on `tx` become savepoints.
   */
  transaction<R>(fn: (tx: Sql) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

/** The query primitives of one connection that is already inside a transaction. */
export interface TxConnection {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  exec(text: string): Promise<void>;
}

/** Wraps a connection that is inside a transaction; nested transactions become savepoints. */
export function transactionSql(conn: TxConnection, depth = 0): Sql {
  return {
    query: (text, params) => conn.query(text, params),
    exec: (text) => conn.exec(text),
    async transaction(fn) {
      const name = `parley_sp_${depth + 1}`;
      await conn.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn(transactionSql(conn, depth + 1));
        await conn.exec(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await conn.exec(`ROLLBACK TO SAVEPOINT ${name}`);
        throw err;
      }
    },
    async close() {
      throw new Error('close() called on a transaction handle; close the Sql it came from');
    },
  };
}

/** SQLSTATE of a database error from either driver, if any. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
