import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface DataDirLock {
  release(): void;
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the data directory ${dir} is in use by a running Parley (pid ${pid})`);
  }
}

/** PGlite must have one process per data directory: a pid file guards it. */
export function acquireDataDirLock(dir: string): DataDirLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'parley.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(path, 'utf8').trim() === String(process.pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = lockHolder(dir);
      if (holder !== null) throw new DataDirBusyError(dir, holder);
      // A stale pid file from a crashed process: remove and retry once.
      try {
        unlinkSync(path);
      } catch {
        // raced with another remover
      }
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/** The pid of a live process holding the data directory, or null. */
export function lockHolder(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'parley.pid'), 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return -1;
    return null;
  }
}
