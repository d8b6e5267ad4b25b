// XEP-0484 FAST tokens: two slots per client (§5), hashes only, replay counters, revocation.
import type { Sql } from './sql.ts';
import type { FastToken, FastTokenRepo } from './types.ts';

interface TokenRow {
  client_id: string;
  slot: 'current' | 'new';
  token_hash: string;
  mechanism: string;
  expires_at: Date | string;
  last_count: string | number | null;
  user_agent: string | null;
  created_at: Date | string;
}

const COLUMNS = 'client_id, slot, token_hash, mechanism, expires_at, last_count, user_agent, created_at';

const token = (r: TokenRow): FastToken => ({
  clientId: r.client_id,
  slot: r.slot,
  hash: r.token_hash,
  mechanism: r.mechanism,
  expiresAt: new Date(r.expires_at),
  lastCount: r.last_count === null ? null : Number(r.last_count),
  userAgent: r.user_agent,
  createdAt: new Date(r.created_at),
});

export function fastTokenRepo(sql: Sql): FastTokenRepo {
  return {
    issue(username, domain, t, maxClients) {
      return sql.transaction(async (tx) => {
        const user = await tx.query('SELECT 1 FROM users WHERE domain = $1 AND username = $2 FOR UPDATE', [domain, username]);
        if (user.length === 0) return false;
        // §3.5: a new token replaces an earlier one that was never used (the 'new' slot).
        await tx.query(
          `INSERT INTO fast_tokens (domain, username, client_id, slot, token_hash, mechanism, expires_at, user_agent)
           VALUES ($1, $2, $3, 'new', $4, $5, $6, $7)
           ON CONFLICT (domain, username, client_id, slot) DO UPDATE SET token_hash = EXCLUDED.token_hash,
             mechanism = EXCLUDED.mechanism, expires_at = EXCLUDED.expires_at, last_count = NULL,
             user_agent = EXCLUDED.user_agent, created_at = now()`,
          [domain, username, t.clientId, t.hash, t.mechanism, t.expiresAt.toISOString(), t.userAgent],
        );
        // Bounded per account: the clients whose newest token is oldest go first.
        await tx.query(
          `DELETE FROM fast_tokens WHERE domain = $1 AND username = $2 AND client_id IN (
             SELECT client_id FROM fast_tokens WHERE domain = $1 AND username = $2
             GROUP BY client_id ORDER BY max(created_at) DESC, client_id OFFSET $3)`,
          [domain, username, maxClients],
        );
        return true;
      });
    },

    async candidates(username, domain, clientId) {
      // A locked account has no usable token (it fails like a wrong one).
      const rows = await sql.query<TokenRow>(
        `SELECT ${COLUMNS.split(', ').map((c) => `t.${c}`).join(', ')} FROM fast_tokens t JOIN users u USING (domain, username)
         WHERE t.domain = $1 AND t.username = $2 AND t.client_id = $3 AND NOT u.locked
         ORDER BY t.slot DESC`,
        [domain, username, clientId],
      );
      return rows.map(token);
    },

    use(username, domain, clientId, hash, count) {
      return sql.transaction(async (tx) => {
        const rows = await tx.query<{ slot: 'current' | 'new'; last_count: string | number | null }>(
          `SELECT slot, last_count FROM fast_tokens
           WHERE domain = $1 AND username = $2 AND client_id = $3 AND token_hash = $4 FOR UPDATE`,
          [domain, username, clientId, hash],
        );
        const row = rows[0];
        if (!row) return 'gone';
        const last = row.last_count === null ? null : Number(row.last_count);
        // §3.4: a count not above one already processed is a replay.
        if (count !== null && last !== null && count <= last) return 'replayed';
        if (row.slot === 'new') {
          // §3.5: using the newer token invalidates the one it replaces.
          await tx.query(`DELETE FROM fast_tokens WHERE domain = $1 AND username = $2 AND client_id = $3 AND slot = 'current'`, [domain, username, clientId]);
        }
        await tx.query(
          `UPDATE fast_tokens SET slot = 'current', last_count = COALESCE($5, last_count)
           WHERE domain = $1 AND username = $2 AND client_id = $3 AND token_hash = $4`,
          [domain, username, clientId, hash, count],
        );
        return 'ok';
      });
    },

    async remove(username, domain, clientId, hash) {
      const rows = await sql.query(
        'DELETE FROM fast_tokens WHERE domain = $1 AND username = $2 AND client_id = $3 AND token_hash = $4 RETURNING 1',
        [domain, username, clientId, hash],
      );
      return rows.length > 0;
    },

    async list(username, domain) {
      const rows = await sql.query<TokenRow>(
        `SELECT ${COLUMNS} FROM fast_tokens WHERE domain = $1 AND username = $2 ORDER BY created_at DESC, client_id, slot`,
        [domain, username],
      );
      return rows.map(token);
    },

    async revoke(username, domain, clientId) {
      const rows =
        clientId === undefined
          ? await sql.query('DELETE FROM fast_tokens WHERE domain = $1 AND username = $2 RETURNING 1', [domain, username])
          : await sql.query('DELETE FROM fast_tokens WHERE domain = $1 AND username = $2 AND client_id = $3 RETURNING 1', [domain, username, clientId]);
      return rows.length;
    },
  };
}
