import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from './sql.ts';
import { backfillSkeletons } from './users.ts';

/** The repository's `migrations/` directory, found relative to this source file. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));

// Serialises migrators across processes (several cluster services may start at once).
const MIGRATION_LOCK = 0x7061726c; // "parl"
const FILE_NAME = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

interface MigrationFile {
  version: number;
  name: string; // file name without .sql, e.g. 0001_initial
  text: string;
  checksum: string;
}

interface Recorded {
  version: number;
  name: string;
  checksum: string;
}

/**
 * Applies the numbered `NNNN_name.sql` files of `dir` that are not yet recorded in
 * `schema_migrations`, in numeric order, each in its own transaction. Refuses to run (and applies
 * nothing) when an already applied file has changed since. Recorded versions with no file (a newer
 * build migrated this database) are left alone.
 */
export async function migrate(sql: Sql, dir: string = defaultMigrationsDir): Promise<{ applied: string[]; lookalikes: string[] }> {
  const files = await readMigrations(dir);

  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const recorded = await tx.query<Recorded>('SELECT version, name, checksum FROM schema_migrations');
    const byVersion = new Map(recorded.map((r) => [Number(r.version), r]));
    for (const f of files) {
      const r = byVersion.get(f.version);
      if (r && (r.checksum !== f.checksum || r.name !== f.name)) {
        throw new Error(
          `migration ${f.name} differs from the applied ${r.name} (checksum ${r.checksum.slice(0, 12)}…); ` +
            'applied migrations must never be edited, add a new numbered file instead',
        );
      }
    }
  });

  const applied: string[] = [];
  for (const f of files) {
    const didApply = await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Re-checked under the lock: another process may have applied it meanwhile.
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [f.version]);
      if (done.length > 0) return false;
      try {
        await tx.exec(f.text);
      } catch (err) {
        throw new Error(`migration ${f.name} failed: ${(err as Error).message}`, { cause: err });
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
        f.version,
        f.name,
        f.checksum,
      ]);
      return true;
    });
    if (didApply) applied.push(f.name);
  }
  // Data a SQL file cannot compute: the UTS #39 skeletons of accounts older than migration 0012.
  const { lookalikes } = await backfillSkeletons(sql);
  return { applied, lookalikes };
}

/** Names the migration files of `dir` and their contents: equal keys, equal migrated databases. */
export async function migrationsKey(dir: string = defaultMigrationsDir): Promise<string> {
  const hash = createHash('sha256');
  for (const f of await readMigrations(dir)) hash.update(`${f.name}\0${f.checksum}\0`);
  return hash.digest('hex').slice(0, 16);
}

async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql'));
  const files: MigrationFile[] = [];
  const seen = new Map<number, string>();
  for (const fileName of names) {
    const m = FILE_NAME.exec(fileName);
    if (!m) throw new Error(`migration file ${fileName} is not named NNNN_name.sql`);
    const version = Number(m[1]);
    const other = seen.get(version);
    if (other !== undefined) throw new Error(`migrations ${other} and ${fileName} share version ${version}`);
    seen.set(version, fileName);
    // Line endings are normalised so a CRLF checkout does not look like an edited migration.
    const text = (await readFile(join(dir, fileName), 'utf8')).replace(/\r\n/g, '\n');
    const checksum = createHash('sha256').update(text).digest('hex');
    files.push({ version, name: fileName.slice(0, -'.sql'.length), text, checksum });
  }
  return files.sort((a, b) => a.version - b.version);
}
