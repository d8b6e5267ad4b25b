import { type Sql, sqlState } from './sql.ts';
import type { LoginHistoryRepo, LoginRecord, SignInSettings } from './types.ts';

const DEFAULT_RECENT = 20;
const FOREIGN_KEY_VIOLATION = '23503';

type LoginRow = Omit<LoginRecord, 'reason'> & { reason: string | null };
type SettingsRow = { multi_login: string | null; idle_timeout_sec: number | null };

/** An account that was deleted between the EXISTS check and the insert is the same as unknown. */
async function ignoringDeleted(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (sqlState(err) === FOREIGN_KEY_VIOLATION) return;
    throw err;
  }
}

export function loginHistoryRepo(sql: Sql): LoginHistoryRepo {
  return {
    async record(username, domain, rec) {
      // Failed logins for unknown names are common (guessing); they are not stored.
      await ignoringDeleted(() =>
        sql.query(
          `INSERT INTO login_history (domain, username, at, ip, client, resource, mechanism, success, reason, client_key)
           SELECT $1, $2, COALESCE($3::timestamptz, now()), $4, $5, $6, $7, $8, $9, $10
           WHERE EXISTS (SELECT 1 FROM users WHERE domain = $1 AND username = $2)`,
          [domain, username, rec.at ?? null, rec.ip, rec.client, rec.resource, rec.mechanism, rec.success, rec.reason ?? null, rec.clientKey ?? null],
        ),
      );
    },

    async recent(username, domain, limit = DEFAULT_RECENT) {
      const rows = await sql.query<LoginRow>(
        `SELECT at, ip, client, resource, mechanism, success, reason FROM login_history
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
          reason: r.reason,
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

    async known(username, domain) {
      const ips = await sql.query<{ ip: string }>('SELECT DISTINCT ip FROM login_history WHERE domain = $1 AND username = $2 AND success', [domain, username]);
      const keys = await sql.query<{ client_key: string }>(
        'SELECT DISTINCT client_key FROM login_history WHERE domain = $1 AND username = $2 AND success AND client_key IS NOT NULL',
        [domain, username],
      );
      return { ips: ips.map((r) => r.ip), clientKeys: keys.map((r) => r.client_key) };
    },

    async sweep(before) {
      const rows = await sql.query<{ id: string }>('DELETE FROM login_history WHERE at < $1 RETURNING id', [before]);
      return rows.length;
    },

    async settings(username, domain) {
      const [row] = await sql.query<SettingsRow>('SELECT multi_login, idle_timeout_sec FROM signin_settings WHERE domain = $1 AND username = $2', [domain, username]);
      return { multiLogin: (row?.multi_login ?? null) as SignInSettings['multiLogin'], idleTimeoutSec: row?.idle_timeout_sec ?? null };
    },

    async setSettings(username, domain, patch) {
      const current = await this.settings(username, domain);
      const next = { ...current, ...patch };
      const rows = await sql.query(
        `INSERT INTO signin_settings (domain, username, multi_login, idle_timeout_sec)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE domain = $1 AND username = $2)
         ON CONFLICT (domain, username) DO UPDATE SET multi_login = EXCLUDED.multi_login, idle_timeout_sec = EXCLUDED.idle_timeout_sec
         RETURNING username`,
        [domain, username, next.multiLogin, next.idleTimeoutSec],
      );
      return rows.length > 0;
    },

    async keepAlert(username, domain, body, keep) {
      await ignoringDeleted(() =>
        sql.query(
          `INSERT INTO signin_alerts (domain, username, body)
           SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM users WHERE domain = $1 AND username = $2)`,
          [domain, username, body],
        ),
      );
      await sql.query(
        `DELETE FROM signin_alerts WHERE domain = $1 AND username = $2 AND id NOT IN
           (SELECT id FROM signin_alerts WHERE domain = $1 AND username = $2 ORDER BY id DESC LIMIT $3)`,
        [domain, username, keep],
      );
    },

    async takeAlerts(username, domain) {
      const rows = await sql.query<{ id: string; body: string }>('DELETE FROM signin_alerts WHERE domain = $1 AND username = $2 RETURNING id, body', [domain, username]);
      return rows.sort((a, b) => Number(a.id) - Number(b.id)).map((r) => r.body);
    },
  };
}
