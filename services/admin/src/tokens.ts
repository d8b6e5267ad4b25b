// Bearer tokens of the admin API. A token is `prly_<id>_<secret>`: the id finds the row, the
// 256-bit secret is checked against its stored SHA-256 in constant time. The secret is shown once
// at creation and never stored.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sql } from '@parley/store';
import { isRole, type Role } from './roles.ts';

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  secret_hash: string;
  created_at: Date | string;
  created_by: string;
  revoked_at: Date | string | null;
}

const TOKEN = /^prly_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const NAME = /^[\p{L}\p{N} ._@-]{1,64}$/u;

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();
const info = (r: TokenRow): TokenInfo => ({
  id: r.id,
  name: r.name,
  role: r.role,
  createdAt: new Date(r.created_at),
  createdBy: r.created_by,
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
});

export class TokenInputError extends Error {}

export function tokenRepo(sql: Sql) {
  return {
    /** Returns the token text (shown once) and its record. */
    async create(opts: { name: string; role: string; createdBy: string }): Promise<{ token: string; info: TokenInfo }> {
      if (!isRole(opts.role)) throw new TokenInputError(`role must be read-only, operator or admin, got ${JSON.stringify(opts.role)}`);
      if (!NAME.test(opts.name)) throw new TokenInputError('name must be 1-64 letters, digits, spaces or . _ @ -');
      const id = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      const rows = await sql.query<TokenRow>(
        `INSERT INTO admin_tokens (id, name, role, secret_hash, created_by) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, role, secret_hash, created_at, created_by, revoked_at`,
        [id, opts.name, opts.role, hashOf(secret).toString('hex'), opts.createdBy],
      );
      return { token: `prly_${id}_${secret}`, info: info(rows[0]!) };
    },

    /** The token's record if it is well-formed, known, not revoked and its secret matches; else null. */
    async verify(token: string): Promise<TokenInfo | null> {
      const m = TOKEN.exec(token);
      if (!m) return null;
      const rows = await sql.query<TokenRow>(
        'SELECT id, name, role, secret_hash, created_at, created_by, revoked_at FROM admin_tokens WHERE id = $1',
        [m[1]],
      );
      const r = rows[0];
      if (!r || r.revoked_at !== null) return null;
      return timingSafeEqual(Buffer.from(r.secret_hash, 'hex'), hashOf(m[2]!)) ? info(r) : null;
    },

    async list(): Promise<TokenInfo[]> {
      const rows = await sql.query<TokenRow>(
        'SELECT id, name, role, secret_hash, created_at, created_by, revoked_at FROM admin_tokens ORDER BY created_at, id',
      );
      return rows.map(info);
    },

    /** false if no such token or it was already revoked. */
    async revoke(id: string): Promise<boolean> {
      const rows = await sql.query('UPDATE admin_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id', [id]);
      return rows.length > 0;
    },
  };
}

export type TokenRepo = ReturnType<typeof tokenRepo>;
