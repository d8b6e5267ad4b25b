import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository's migrations/ directory. This file runs either as TypeScript
 * (services/cli/src) or bundled (services/cli/dist): both are three levels below the root.
 */
export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'migrations');

export const serverVersion = '0.1.0';
