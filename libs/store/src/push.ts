// XEP-0357 §5-6 push registrations of accounts.
import type { Sql } from './sql.ts';
import type { PushRepo } from './types.ts';

export function pushRepo(sql: Sql): PushRepo {
  return {
    async list(owner) {
      return sql.query<{ service: string; node: string; options: string | null }>('SELECT service, node, options FROM push_registrations WHERE owner = $1 ORDER BY service, node', [owner]);
    },
    async enable(owner, reg) {
      await sql.query(
        `INSERT INTO push_registrations (owner, service, node, options) VALUES ($1, $2, $3, $4)
         ON CONFLICT (owner, service, node) DO UPDATE SET options = EXCLUDED.options`,
        [owner, reg.service, reg.node, reg.options],
      );
    },
    async disable(owner, service, node) {
      const rows =
        node === undefined
          ? await sql.query('DELETE FROM push_registrations WHERE owner = $1 AND service = $2 RETURNING node', [owner, service])
          : await sql.query('DELETE FROM push_registrations WHERE owner = $1 AND service = $2 AND node = $3 RETURNING node', [owner, service, node]);
      return rows.length;
    },
  };
}
