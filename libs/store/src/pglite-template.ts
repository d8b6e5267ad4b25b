// A freshly initialised PGlite cluster, kept as a tarball in the OS temp directory so that throw-away
// in-memory databases (tests, benchmarks) load it instead of running initdb each time: initdb is most
// of an in-memory open (measured 2.5–7.5 of 4.7–10.5 CPU-s at load ≈30; loading the tarball 2.2–3).
// Keyed by PGlite's version and the start parameters; written atomically, so concurrent processes
// either read a whole tarball or make their own.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';

/** PGlite's version, from the package.json above its entry point (its `exports` do not include it). */
function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function templatePath(startParams: string[]): string {
  const version = pgliteVersion();
  const key = createHash('sha256').update(JSON.stringify([version, startParams])).digest('hex').slice(0, 16);
  return join(tmpdir(), `parley-pglite-template-${key}.tar`);
}

/** The template for these start parameters, if one was saved. */
export async function readTemplate(startParams: string[]): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(templatePath(startParams))]);
  } catch {
    return undefined;
  }
}

/** Saves `db`, just initialised and still empty, as the template; a failure only costs the next open its initdb. */
export async function saveTemplate(db: PGlite, startParams: string[]): Promise<void> {
  const path = templatePath(startParams);
  const partial = `${path}.${process.pid}.partial`;
  try {
    const dump = await db.dumpDataDir('none');
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, path);
  } catch {
    // not writable, or full: the next in-memory open runs initdb again
  }
}
