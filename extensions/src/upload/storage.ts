// Where uploaded files live. A PUT body is first staged on local disk, where the content checks
// (checks.ts) and an external scanner can read it; only a file that passed is handed to the store.
// Local disk is the default; s3.ts keeps files in an S3-compatible bucket (docs/decisions/0019).
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

export interface StoredFile {
  size: number;
  contentType: string;
  /** SHA-256 of the bytes, hex (S3 signs it: the bucket refuses a body that differs). */
  sha256: string;
}

export interface UploadStorage {
  /** A local directory where PUT bodies are written and checked before they are stored. */
  readonly staging: string;
  /** Creates what the store needs (the directories); called once when the routes start. */
  init(): Promise<void>;
  /** Takes a checked, staged file into the store; the staged file is gone afterwards. */
  keep(id: string, staged: string, file: StoredFile): Promise<void>;
  /** The stored bytes, or null when they are not there. */
  open(id: string): Promise<Readable | null>;
  /** Deletes a stored file; deleting one that is not there is not an error. */
  remove(id: string): Promise<void>;
}

export const stagedPath = (staging: string, id: string) => join(staging, `${id}.part`);

/** Files in one directory, named by slot id (shared by every edge of a cluster, e.g. over NFS). */
export function diskStorage(dir: string): UploadStorage {
  return {
    staging: dir,
    init: async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    },
    keep: (id, staged) => rename(staged, join(dir, id)),
    open: async (id) => {
      const stream = createReadStream(join(dir, id));
      // Opening is asynchronous: wait for it so a missing file is a 404, not a broken response.
      return new Promise((resolve) => {
        stream.once('open', () => resolve(stream));
        stream.once('error', () => resolve(null));
      });
    },
    remove: (id) => rm(join(dir, id), { force: true }),
  };
}
