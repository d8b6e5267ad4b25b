// Profile repositories (migration 0010): vCard-temp (XEP-0054), private XML storage (XEP-0049), the
// user directory's published fields (XEP-0055) and HTTP upload slots (XEP-0363).
import type { Sql } from './sql.ts';

export interface VcardRepo {
  get(owner: string): Promise<string | null>;
  set(owner: string, xml: string): Promise<void>;
}

export interface PrivateStorageRepo {
  get(owner: string, ns: string): Promise<string | null>;
  set(owner: string, ns: string, xml: string): Promise<void>;
}

export type DirectoryVisibility = 'everyone' | 'contacts' | 'nobody';
export interface DirectoryField {
  field: string;
  value: string;
  visibility: DirectoryVisibility;
}
export interface DirectoryRepo {
  /** Every field the owner stored (published or not), ordered by name. */
  get(owner: string): Promise<DirectoryField[]>;
  /** Replaces the owner's fields with `fields`. */
  put(owner: string, fields: DirectoryField[]): Promise<void>;
  /**
   * Owners with, for each criterion, a field of that name whose value contains the text
   * (case-insensitive) and whose visibility is not 'nobody'; with all their fields; at most `limit`.
   */
  search(criteria: Array<{ field: string; text: string }>, limit: number): Promise<Map<string, DirectoryField[]>>;
}

export interface UploadSlot {
  id: string;
  owner: string;
  filename: string;
  size: number;
  contentType: string;
  /** SHA-256 (hex) of the PUT secret. */
  secretHash: string;
  putExpiresAt: Date;
  fileExpiresAt: Date;
  uploadedAt: Date | null;
}
export interface UploadRepo {
  /** Grants a slot if the owner's live slots plus this one stay within `quota` bytes; false otherwise. */
  create(slot: Omit<UploadSlot, 'uploadedAt'>, quota: number, now: Date): Promise<boolean>;
  get(id: string): Promise<UploadSlot | null>;
  /** Marks an empty slot filled; false when it was already filled or its PUT window passed. */
  markUploaded(id: string, now: Date): Promise<boolean>;
  /** Bytes held by the owner's live slots (filled and not expired, or granted and still open). */
  usage(owner: string, now: Date): Promise<number>;
  /** Removes and returns the slots whose file expired or whose PUT window passed unfilled. */
  reapExpired(now: Date, limit: number): Promise<UploadSlot[]>;
}

export function vcardRepo(sql: Sql): VcardRepo {
  return {
    async get(owner) {
      const rows = await sql.query<{ xml: string }>('SELECT xml FROM vcards WHERE owner = $1', [owner]);
      return rows[0]?.xml ?? null;
    },
    async set(owner, xml) {
      await sql.query(
        `INSERT INTO vcards (owner, xml, updated_at) VALUES ($1, $2, now())
         ON CONFLICT (owner) DO UPDATE SET xml = EXCLUDED.xml, updated_at = now()`,
        [owner, xml],
      );
    },
  };
}

export function privateStorageRepo(sql: Sql): PrivateStorageRepo {
  return {
    async get(owner, ns) {
      const rows = await sql.query<{ xml: string }>('SELECT xml FROM private_storage WHERE owner = $1 AND ns = $2', [owner, ns]);
      return rows[0]?.xml ?? null;
    },
    async set(owner, ns, xml) {
      await sql.query(
        `INSERT INTO private_storage (owner, ns, xml) VALUES ($1, $2, $3)
         ON CONFLICT (owner, ns) DO UPDATE SET xml = EXCLUDED.xml`,
        [owner, ns, xml],
      );
    },
  };
}

type FieldRow = { owner: string; field: string; value: string; visibility: DirectoryVisibility };

export function directoryRepo(sql: Sql): DirectoryRepo {
  return {
    async get(owner) {
      const rows = await sql.query<FieldRow>('SELECT field, value, visibility FROM directory_fields WHERE owner = $1 ORDER BY field', [owner]);
      return rows.map((r) => ({ field: r.field, value: r.value, visibility: r.visibility }));
    },
    put(owner, fields) {
      return sql.transaction(async (tx) => {
        await tx.query('DELETE FROM directory_fields WHERE owner = $1', [owner]);
        for (const f of fields) {
          await tx.query('INSERT INTO directory_fields (owner, field, value, visibility) VALUES ($1, $2, $3, $4)', [owner, f.field, f.value, f.visibility]);
        }
      });
    },
    async search(criteria, limit) {
      if (criteria.length === 0) return new Map();
      // One EXISTS per criterion; LIKE wildcards in the text are escaped so they match literally.
      const params: unknown[] = [];
      const conds = criteria.map((c) => {
        params.push(c.field, `%${c.text.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
        const f = params.length - 1;
        return `EXISTS (SELECT 1 FROM directory_fields d WHERE d.owner = o.owner AND d.field = $${f} AND d.visibility <> 'nobody' AND lower(d.value) LIKE $${f + 1})`;
      });
      params.push(limit);
      const owners = await sql.query<{ owner: string }>(
        `SELECT DISTINCT o.owner FROM directory_fields o WHERE ${conds.join(' AND ')} ORDER BY o.owner LIMIT $${params.length}`,
        params,
      );
      const out = new Map<string, DirectoryField[]>();
      if (owners.length === 0) return out;
      const rows = await sql.query<FieldRow>('SELECT owner, field, value, visibility FROM directory_fields WHERE owner = ANY($1) ORDER BY owner, field', [
        owners.map((o) => o.owner),
      ]);
      for (const o of owners) out.set(o.owner, []);
      for (const r of rows) out.get(r.owner)?.push({ field: r.field, value: r.value, visibility: r.visibility });
      return out;
    },
  };
}

type SlotRow = {
  id: string;
  owner: string;
  filename: string;
  size: string | number;
  content_type: string;
  secret_hash: string;
  put_expires_at: Date | string;
  file_expires_at: Date | string;
  uploaded_at: Date | string | null;
};
const slotOf = (r: SlotRow): UploadSlot => ({
  id: r.id,
  owner: r.owner,
  filename: r.filename,
  size: Number(r.size),
  contentType: r.content_type,
  secretHash: r.secret_hash,
  putExpiresAt: new Date(r.put_expires_at),
  fileExpiresAt: new Date(r.file_expires_at),
  uploadedAt: r.uploaded_at === null ? null : new Date(r.uploaded_at),
});
const LIVE = '(uploaded_at IS NOT NULL AND file_expires_at > $2) OR (uploaded_at IS NULL AND put_expires_at > $2)';

export function uploadRepo(sql: Sql): UploadRepo {
  const usage = async (q: Sql, owner: string, now: Date) => {
    const rows = await q.query<{ n: string | number | null }>(`SELECT coalesce(sum(size), 0) AS n FROM upload_slots WHERE owner = $1 AND (${LIVE})`, [owner, now.toISOString()]);
    return Number(rows[0]?.n ?? 0);
  };
  return {
    create(slot, quota, now) {
      return sql.transaction(async (tx) => {
        // Serialize one owner's grants so two concurrent requests cannot both fit under the quota.
        await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`upload:${slot.owner}`]);
        if ((await usage(tx, slot.owner, now)) + slot.size > quota) return false;
        await tx.query(
          `INSERT INTO upload_slots (id, owner, filename, size, content_type, secret_hash, put_expires_at, file_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [slot.id, slot.owner, slot.filename, slot.size, slot.contentType, slot.secretHash, slot.putExpiresAt.toISOString(), slot.fileExpiresAt.toISOString()],
        );
        return true;
      });
    },
    async get(id) {
      const rows = await sql.query<SlotRow>('SELECT * FROM upload_slots WHERE id = $1', [id]);
      return rows[0] ? slotOf(rows[0]) : null;
    },
    async markUploaded(id, now) {
      const rows = await sql.query('UPDATE upload_slots SET uploaded_at = $2 WHERE id = $1 AND uploaded_at IS NULL AND put_expires_at > $2 RETURNING id', [
        id,
        now.toISOString(),
      ]);
      return rows.length === 1;
    },
    usage: (owner, now) => usage(sql, owner, now),
    async reapExpired(now, limit) {
      const rows = await sql.query<SlotRow>(
        `DELETE FROM upload_slots WHERE id IN (
           SELECT id FROM upload_slots WHERE file_expires_at <= $1 OR (uploaded_at IS NULL AND put_expires_at <= $1) LIMIT $2
         ) RETURNING *`,
        [now.toISOString(), limit],
      );
      return rows.map(slotOf);
    },
  };
}
