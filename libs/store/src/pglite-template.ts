// A freshly initialised PGlite cluster, kept as a tarball in the OS temp directory so that throw-away
// in-memory databases (tests, benchmarks) load it instead of running initdb each time: initdb is most
// of an in-memory open (measured 2.5–7.5 of 4.7–10.5 CPU-s at load ≈30; loading the tarball 2.2–3).
// Keyed by PGlite's version and the start parameters; written atomically, so concurrent processes
// either read a whole tarball or make their own. A second kind holds the cluster with the
// repository's migrations applied (`openPglite` `migratedFrom`), keyed by the migration files too.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

/** PGlite's version, from the package.json above its entry point (its `exports` do not include it). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

const PREFIX = 'parley-pglite-template-';

/**
 * `migrations` (a key of the migration files, migrate.ts) names a copy with those migrations applied;
 * without it the copy is the empty cluster.
 */
function templatePath(startParams: string[], migrations?: string): string {
  return join(tmpdir(), `${baseName(startParams)}${migrations ? `-m${migrations}` : ''}.tar`);
}

function baseName(startParams: string[]): string {
  const version = pgliteVersion();
  return PREFIX + createHash('sha256').update(JSON.stringify([version, startParams])).digest('hex').slice(0, 16);
}

/** The template for these start parameters (and migrations), if one was saved. */
export async function readTemplate(startParams: string[], migrations?: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(templatePath(startParams, migrations))]);
  } catch {
    return undefined;
  }
}

/**
 * Saves `db` as the template for `startParams`: just initialised, or just migrated with `migrations`
 * (which replaces the copies of other migrations: ≈40 MB each). A failure only costs the next open
 * its work again.
 */
export async function saveTemplate(db: PGlite, startParams: string[], migrations?: string): Promise<void> {
  const path = templatePath(startParams, migrations);
  const partial = `${path}.${process.pid}.partial`;
  try {
    const dump = await db.dumpDataDir('none');
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, path);
    if (!migrations) return;
    const stale = `${baseName(startParams)}-m`;
    for (const name of await readdir(tmpdir())) {
      if (name.startsWith(stale) && name.endsWith('.tar') && name !== basename(path)) await unlink(join(tmpdir(), name)).catch(() => {});
    }
  } catch {
    // not writable, or full: the next in-memory open does the work again
  }
}
