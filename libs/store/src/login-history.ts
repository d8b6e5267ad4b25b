import { type Sql, sqlState } from './sql.ts';
import type { LoginHistoryRepo, LoginRecord } from './types.ts';

const DEFAULT_RECENT = 20;
const FOREIGN_KEY_VIOLATION = '23503';

/** Rows come back with exactly the record's columns. */
type LoginRow = LoginRecord;

export function loginHistoryRepo(sql: Sql): LoginHistoryRepo {
  return {
    async record(username, domain, rec) {
      try {
        // Failed logins for unknown names are common (guessing); they are not stored.
        await sql.query(
          `INSERT INTO login_history (domain, username, at, ip, client, resource, mechanism, success)
           SELECT $1, $2, COALESCE($3::timestamptz, now()), $4, $5, $6, $7, $8
           WHERE EXISTS (SELECT 1 FROM users WHERE domain = $1 AND username = $2)`,
          [domain, username, rec.at ?? null, rec.ip, rec.client, rec.resource, rec.mechanism, rec.success],
        );
      } catch (err) {
        // The account was deleted between the EXISTS check and the insert: same as unknown.
        if (sqlState(err) === FOREIGN_KEY_VIOLATION) return;
        throw err;
      }
    },

    async recent(username, domain, limit = DEFAULT_RECENT) {
      const rows = await sql.query<LoginRow>(
        `SELECT at, ip, client, resource, mechanism, success FROM login_history
         WHERE domain = $1 AND username = $2 ORDER BY at DESC, id DESC LIMIT $3`,
        [domain, username, limit],
      );
      return rows.map(
        (r): LoginRecord => ({
          at: new Date(r.at),
          ip: r.ip,
          client: r.client,
          resource: r.resource,
          mechanism: r.mechanism,
          success: r.success,
        }),
      );
    },

    async knownIp(username, domain, ip) {
      const rows = await sql.query(
        'SELECT 1 FROM login_history WHERE domain = $1 AND username = $2 AND ip = $3 AND success LIMIT 1',
        [domain, username, ip],
      );
      return rows.length > 0;
    },
  };
}
