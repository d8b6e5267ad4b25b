// What every `parley` subcommand needs: the usage error, the parsed option values, and the choice
// between the running embedded server's admin socket (it holds the database, decision 0005) and
// the database itself (cluster mode, or no server running).
import type { ParleyConfig } from '@parley/config';
import { createLogger } from '@parley/log';
import type { Store } from '@parley/store';
import { type AuditedCommands, auditedCommands } from './audited.ts';
import { openStore } from './embedded.ts';
import { acquireDataDirLock, lockHolder } from './lock.ts';

/** A wrong command line: reported on one line, exit code 2. */
export class UsageError extends Error {}

export type Values = { account?: boolean; ttl?: string; client?: string; role?: string; name?: string; password?: string; count?: string; start?: string; 'user-pattern'?: string; 'password-pattern'?: string };

/** While the embedded server runs it owns the database; the CLI then talks to its admin socket. */
export function serverHoldsDatabase(config: ParleyConfig): boolean {
  return !config.databaseUrl && lockHolder(config.dataDir) !== null;
}

export async function withCommands<T>(config: ParleyConfig, fn: (cmd: AuditedCommands, store: Store) => Promise<T>): Promise<T> {
  const lock = config.databaseUrl ? null : acquireDataDirLock(config.dataDir);
  try {
    const store = await openStore(config);
    try {
      return await fn(auditedCommands(store, config, createLogger({ level: 'warn' })), store);
    } finally {
      await store.close();
    }
  } finally {
    lock?.release();
  }
}
