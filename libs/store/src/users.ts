import { caselessSkeleton as skeleton } from '@parley/confusables';
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
        // ON CONFLICT covers both unique keys: the name, and its UTS #39 skeleton (a look-alike).
        const rows = await tx.query(
          'INSERT INTO users (domain, username, skeleton) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING username',
          [domain, username, skeleton(username)],
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
        await tx.query('DELETE FROM invitations WHERE inviter = $1', [owner]);
        // Upload slots stay: their files are reaped at expiry (XEP-0363 links others already hold keep working until then).
        await tx.query('DELETE FROM vcards WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM private_storage WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM directory_fields WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM archive_messages WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM archive_prefs WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM push_registrations WHERE owner = $1', [owner]);
        await tx.query('DELETE FROM pep_nodes WHERE owner = $1', [owner]); // items and subscriptions by FK cascade
        return true;
      });
    },

    async lookalikeOf(username, domain) {
      const rows = await sql.query<{ username: string }>(
        'SELECT username FROM users WHERE domain = $1 AND skeleton = $2 AND username <> $3 LIMIT 1',
        [domain, skeleton(username), username],
      );
      return rows[0]?.username ?? null;
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
        // A new password revokes every XEP-0484 FAST token issued with the old one.
        await tx.query('DELETE FROM fast_tokens WHERE domain = $1 AND username = $2', [domain, username]);
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

/**
 * Gives accounts created before migration 0012 their skeleton. A look-alike of an account that already has
 * the skeleton keeps NULL (the unique index refuses it); those are returned so the caller can log them.
 */
export async function backfillSkeletons(sql: Sql): Promise<{ filled: number; lookalikes: string[] }> {
  const col = await sql.query(
    "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users' AND column_name = 'skeleton'",
  );
  if (col.length === 0) return { filled: 0, lookalikes: [] };
  let filled = 0;
  const lookalikes: string[] = [];
  let after = '';
  for (;;) {
    const rows = await sql.query<{ domain: string; username: string }>(
      `SELECT domain, username FROM users WHERE skeleton IS NULL AND domain || '@' || username > $1
       ORDER BY domain || '@' || username LIMIT 500`,
      [after],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      after = `${r.domain}@${r.username}`;
      const set = await sql.query(
        `UPDATE users SET skeleton = $3 WHERE domain = $1 AND username = $2
           AND NOT EXISTS (SELECT 1 FROM users WHERE domain = $1 AND skeleton = $3) RETURNING 1`,
        [r.domain, r.username, skeleton(r.username)],
      );
      if (set.length > 0) filled++;
      else lookalikes.push(`${r.username}@${r.domain}`);
    }
  }
  return { filled, lookalikes };
}
