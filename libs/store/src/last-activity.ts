// XEP-0012 §4 last activity of accounts.
import type { Sql } from './sql.ts';
import type { LastActivityRepo } from './types.ts';

export function lastActivityRepo(sql: Sql): LastActivityRepo {
  return {
    async get(owner) {
      const rows = await sql.query<{ at: Date | string; status: string | null }>('SELECT at, status FROM last_activity WHERE owner = $1', [owner]);
      const r = rows[0];
      return r ? { at: new Date(r.at), status: r.status } : null;
    },
    async set(owner, { at, status }) {
      await sql.query(
        `INSERT INTO last_activity (owner, at, status) VALUES ($1, $2, $3)
         ON CONFLICT (owner) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status`,
        [owner, at.toISOString(), status],
      );
    },
  };
}
