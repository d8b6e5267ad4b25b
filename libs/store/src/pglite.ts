import { mkdir } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { migrate, migrationsKey } from './migrate.ts';
import { readTemplate, saveTemplate } from './pglite-template.ts';
import { type Sql, transactionSql } from './sql.ts';

export interface PgliteOptions {
  /**
   * Postgres shared_buffers, MB. PGlite's default (128) is most of an idle embedded server's memory;
   * the pages live in the OS page cache anyway, so a smaller pool costs a copy, not a disk read
   * (measured in docs/decisions/0027-embedded-store-cost.md and 0035-embedded-server-memory.md). Default 4.
   */
  sharedBuffersMb?: number;
  /**
   * Let V8 compile PGlite's hot WebAssembly functions a second time with its optimising compiler
   * (TurboFan), as it does by default. Off (the default): PGlite runs on the baseline compiler
   * (Liftoff), which saves ~90 MB of an idle embedded server's memory — the optimised code and the
   * compiler's leftovers of the startup queries — at a cost measured in
   * docs/decisions/0035-embedded-server-memory.md. The setting is process-wide (V8 has one).
   */
  optimizeWasm?: boolean;
  /**
   * In memory only: start from a saved copy of a database with the migrations of this directory
   * applied, so `migrate` then finds nothing to apply. The first such open on a machine migrates and
   * saves the copy (keyed by the migration files' names and contents). For tests, which open a fresh
   * database per file: saves ≈0.2 of ≈2.5 CPU-s an open (docs/decisions/0030, addendum).
   */
  migratedFrom?: string;
}

/**
 * V8's dynamic tiering (on by default) recompiles a WebAssembly function with TurboFan once it has
 * run for a budget of about 1.8 M "bytes executed"; Postgres's startup and migrations cross it for
 * thousands of functions. A budget of 2^31-1 means only a function that does billions of such units
 * of work (a sustained hot loop) is optimised; everything else stays on Liftoff. A tuning flag, not
 * `--liftoff-only` (a testing flag that aborts the process if Liftoff cannot compile a function,
 * where this one falls back to TurboFan). Applies to modules instantiated after it is set.
 */
function keepWasmOnBaselineCompiler(): void {
  setFlagsFromString('--wasm-tiering-budget=2147483647');
}

/**
 * Opens the embedded Postgres. `dataDir` is a directory (created on first start, which runs initdb
 * and takes seconds; later starts take well under a second) or null for a throw-away in-memory database.
 */
export async function openPglite(dataDir: string | null, opts: PgliteOptions = {}): Promise<Sql> {
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${opts.sharedBuffersMb ?? 4}MB`];
  if (opts.optimizeWasm !== true) keepWasmOnBaselineCompiler();
  let db: PGlite;
  if (dataDir === null && opts.migratedFrom !== undefined) {
    const key = await migrationsKey(opts.migratedFrom);
    const migrated = await readTemplate(startParams, key);
    if (migrated) db = await PGlite.create({ startParams, loadDataDir: migrated });
    else {
      db = await freshInMemory(startParams);
      await migrate(wrap(db), opts.migratedFrom);
      await saveTemplate(db, startParams, key);
    }
  } else if (dataDir === null) {
    db = await freshInMemory(startParams);
  } else {
    // The directory holds credentials and messages: owner-only, and parents created as needed.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    db = await PGlite.create(dataDir, { startParams });
  }
  return wrap(db);
}

/** An empty in-memory cluster: the saved initdb result when there is one (pglite-template.ts). */
async function freshInMemory(startParams: string[]): Promise<PGlite> {
  const template = await readTemplate(startParams);
  const db = await PGlite.create({ startParams, ...(template ? { loadDataDir: template } : {}) });
  if (!template) await saveTemplate(db, startParams);
  return db;
}

function wrap(db: PGlite): Sql {
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
