import type { Sql } from './sql.ts';
import type { StoredCredential, UserRepo, UserSummary } from './types.ts';

interface CredentialRow {
  hash: StoredCredential['hash'];
  salt: string;
  iterations: number;
  stored_key: string;
  server_key: string;
  locked: boolean;
}

interface SummaryRow {
  username: string;
  created_at: Date | string;
  locked: boolean;
}

const summary = (r: SummaryRow): UserSummary => ({ username: r.username, createdAt: new Date(r.created_at), locked: r.locked });

export function userRepo(sql: Sql): UserRepo {
  return {
    create(username, domain, credentials) {
      return sql.transaction(async (tx) => {
        const rows = await tx.query(
          'INSERT INTO users (domain, username) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING username',
          [domain, username],
        );
        if (rows.length === 0) return false;
        await insertCredentials(tx, username, domain, credentials);
        return true;
      });
    },

    delete(username, domain) {
      return sql.transaction(async (tx) => {
        // Credentials and login history go by FK cascade; roster and offline rows are keyed by bare JID.
        const rows = await tx.query('DELETE FROM users WHERE domain = $1 AND username = $2 RETURNING username', [
          domain,
          username,
        ]);
        if (rows.length === 0) return false;
        const owner = `${username}@${domain}`;
        await tx.query('DELETE FROM roster_items WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM roster_versions WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM offline_messages WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM privacy_defaults WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM privacy_lists WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM privacy_sessions WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM last_activity WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM pep_nodes WHERE owner = $1', [owner]); // items and subscriptions by FK cascade
        return true;
      });
    },

    async exists(username, domain) {
      const rows = await sql.query('SELECT 1 FROM users WHERE domain = $1 AND username = $2', [domain, username]);
      return rows.length > 0;
    },

    setCredentials(username, domain, credentials) {
      return sql.transaction(async (tx) => {
        // Row lock so two concurrent password changes cannot interleave their delete and insert.
        const rows = await tx.query('SELECT 1 FROM users WHERE domain = $1 AND username = $2 FOR UPDATE', [
          domain,
          username,
        ]);
        if (rows.length === 0) return false;
        await tx.query('DELETE FROM scram_credentials WHERE domain = $1 AND username = $2', [domain, username]);
        await insertCredentials(tx, username, domain, credentials);
        return true;
      });
    },

    async getCredential(username, domain, hash) {
      const rows = await sql.query<CredentialRow>(
        `SELECT c.hash, c.salt, c.iterations, c.stored_key, c.server_key, u.locked
         FROM scram_credentials c JOIN users u USING (domain, username)
         WHERE c.domain = $1 AND c.username = $2 AND c.hash = $3`,
        [domain, username, hash],
      );
      const r = rows[0];
      if (!r) return null;
      const cred: StoredCredential = {
        hash: r.hash,
        salt: r.salt,
        iterations: Number(r.iterations),
        storedKey: r.stored_key,
        serverKey: r.server_key,
      };
      // The real salt and iterations still go out, so a locked account looks like a wrong password.
      if (r.locked) cred.locked = true;
      return cred;
    },

    async setLocked(username, domain, locked) {
      const rows = await sql.query('UPDATE users SET locked = $3 WHERE domain = $1 AND username = $2 RETURNING username', [
        domain,
        username,
        locked,
      ]);
      return rows.length > 0;
    },

    async get(username, domain) {
      const rows = await sql.query<SummaryRow>(
        'SELECT username, created_at, locked FROM users WHERE domain = $1 AND username = $2',
        [domain, username],
      );
      return rows[0] ? summary(rows[0]) : null;
    },

    async find(domain, opts = {}) {
      // position() rather than LIKE: a search text holding % or _ means itself.
      const rows = await sql.query<SummaryRow>(
        `SELECT username, created_at, locked FROM users
         WHERE domain = $1 AND ($2::text IS NULL OR position($2::text in username) > 0)
           AND ($3::text IS NULL OR username > $3::text)
         ORDER BY username LIMIT $4`,
        [domain, opts.contains || null, opts.after ?? null, opts.limit ?? 100],
      );
      return rows.map(summary);
    },

    async list(domain, opts = {}) {
      const rows = await sql.query<{ username: string }>(
        `SELECT username FROM users WHERE domain = $1 AND ($2::text IS NULL OR username > $2::text)
         ORDER BY username LIMIT $3`,
        [domain, opts.after ?? null, opts.limit ?? null],
      );
      return rows.map((r) => r.username);
    },

    async count(domain) {
      const rows = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM users WHERE $1::text IS NULL OR domain = $1::text',
        [domain ?? null],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}

async function insertCredentials(
  tx: Sql,
  username: string,
  domain: string,
  credentials: StoredCredential[],
): Promise<void> {
  const hashes = new Set(credentials.map((c) => c.hash));
  if (hashes.size !== credentials.length) throw new Error('one credential per hash algorithm');
  for (const c of credentials) {
    await tx.query(
      `INSERT INTO scram_credentials (domain, username, hash, salt, iterations, stored_key, server_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [domain, username, c.hash, c.salt, c.iterations, c.storedKey, c.serverKey],
    );
  }
}
