import { mkdir } from 'node:fs/promises';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { readTemplate, saveTemplate } from './pglite-template.ts';
import { type Sql, transactionSql } from './sql.ts';

export interface PgliteOptions {
  /**
   * Postgres shared_buffers, MB. PGlite's default (128) is most of an idle embedded server's memory;
   * the pages live in the OS page cache anyway, so a smaller pool costs a copy, not a disk read
   * (measured in docs/decisions/0027-embedded-store-cost.md). Default 16.
   */
  sharedBuffersMb?: number;
}

/**
 * Opens the embedded Postgres. `dataDir` is a directory (created on first start, which runs initdb
 * and takes seconds; later starts take well under a second) or null for a throw-away in-memory database.
 */
export async function openPglite(dataDir: string | null, opts: PgliteOptions = {}): Promise<Sql> {
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${opts.sharedBuffersMb ?? 16}MB`];
  let db: PGlite;
  if (dataDir === null) {
    const template = await readTemplate(startParams);
    db = await PGlite.create({ startParams, ...(template ? { loadDataDir: template } : {}) });
    if (!template) await saveTemplate(db, startParams);
  } else {
    // The directory holds credentials and messages: owner-only, and parents created as needed.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    db = await PGlite.create(dataDir, { startParams });
  }
  let closed = false;
  return {
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      return (await db.query<T>(text, params)).rows;
    },
    async exec(text) {
      await db.exec(text);
    },
    transaction(fn) {
      // PGlite issues BEGIN/COMMIT itself and rolls back when the callback throws.
      return db.transaction((tx) => fn(transactionSql(pgliteTx(tx))));
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
}

function pgliteTx(tx: Transaction) {
  return {
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      return (await tx.query<T>(text, params)).rows;
    },
    async exec(text: string) {
      await tx.exec(text);
    },
  };
}
