import type { Sql } from './sql.ts';
import type { OfflineMessage, OfflineRepo } from './types.ts';

const DEFAULT_MAX_PER_USER = 1000;

interface MessageRow {
  id: string;
  owner: string;
  stanza: string;
  created_at: Date;
}

export function offlineRepo(sql: Sql): OfflineRepo {
  return {
    push(owner, stanza, opts = {}) {
      const max = opts.maxPerUser ?? DEFAULT_MAX_PER_USER;
      return sql.transaction(async (tx) => {
        // Per-owner lock: without it concurrent pushes could all pass the count check and overshoot the quota.
        await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('offline:' || $1::text, 0))`, [owner]);
        const rows = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM offline_messages WHERE owner = $1', [
          owner,
        ]);
        if (Number(rows[0]?.n ?? 0) >= max) return 'quota-exceeded' as const;
        await tx.query('INSERT INTO offline_messages (owner, stanza) VALUES ($1, $2)', [owner, stanza]);
        return 'stored' as const;
      });
    },

    async pop(owner) {
      // A single DELETE … RETURNING is atomic: a concurrent pop blocks on the row locks and then finds
      // the rows gone, so each message is handed out exactly once.
      const rows = await sql.query<MessageRow>(
        `WITH taken AS (DELETE FROM offline_messages WHERE owner = $1 RETURNING id, owner, stanza, created_at)
         SELECT id::text AS id, owner, stanza, created_at FROM taken ORDER BY taken.id`,
        [owner],
      );
      return rows.map(
        (r): OfflineMessage => ({ id: r.id, owner: r.owner, stanza: r.stanza, createdAt: new Date(r.created_at) }),
      );
    },

    async count(owner) {
      const rows = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM offline_messages WHERE owner = $1', [
        owner,
      ]);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
