// Invitation tokens (migration 0013): stored as SHA-256 digests, single use, expiring, revocable.
import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from './sql.ts';

/** What is stored of an invitation's secret token: its SHA-256 (tokens are 128-bit random, so no salt or stretching). */
export const invitationDigest = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export type InvitationKind = 'roster' | 'account';

export interface Invitation {
  id: string;
  domain: string;
  /** The bare JID whose contact list the invitee joins (XEP-0379), or null. */
  inviter: string | null;
  kind: InvitationKind;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  usedBy: string | null;
  revokedAt: Date | null;
}

export interface InvitationRepo {
  create(inv: { id: string; tokenHash: string; domain: string; inviter: string | null; kind: InvitationKind; createdBy: string; expiresAt: Date }): Promise<void>;
  /**
   * Marks the invitation with this token digest used by `usedBy`, atomically, if it is unused, unrevoked,
   * unexpired at `now` and of this kind (and inviter, when given); returns it, or null (a second
   * redemption, a bad token, or a token of another inviter gets null and spends nothing).
   */
  redeem(tokenHash: string, usedBy: string, only: { kind: InvitationKind; inviter?: string | null; now?: Date }): Promise<Invitation | null>;
  /** Invitations of a domain (of one inviter when given), newest first. */
  list(domain: string, opts?: { inviter?: string; limit?: number }): Promise<Invitation[]>;
  /** false when there is no such unused, unrevoked invitation. */
  revoke(id: string): Promise<boolean>;
  /** The invitation with this token digest if it could be redeemed now as `kind` (XEP-0445 §3: checked before registering), spending nothing. */
  peek(tokenHash: string, kind: InvitationKind, now?: Date): Promise<Invitation | null>;
  /**
   * Marks the account invitation `usedBy` registered with as settled and returns its inviter, once
   * (migration 0021): null when there is none with an inviter, or it was settled already.
   */
  settle(usedBy: string): Promise<string | null>;
}

interface Row {
  id: string;
  domain: string;
  inviter: string | null;
  kind: InvitationKind;
  created_by: string;
  created_at: Date | string;
  expires_at: Date | string;
  used_at: Date | string | null;
  used_by: string | null;
  revoked_at: Date | string | null;
}

const date = (d: Date | string | null) => (d === null ? null : new Date(d));
const fromRow = (r: Row): Invitation => ({
  id: r.id,
  domain: r.domain,
  inviter: r.inviter,
  kind: r.kind,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  expiresAt: new Date(r.expires_at),
  usedAt: date(r.used_at),
  usedBy: r.used_by,
  revokedAt: date(r.revoked_at),
});
const COLUMNS = 'id, domain, inviter, kind, created_by, created_at, expires_at, used_at, used_by, revoked_at';

export function invitationRepo(sql: Sql): InvitationRepo {
  return {
    async create(inv) {
      await sql.query(
        'INSERT INTO invitations (id, token_hash, domain, inviter, kind, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [inv.id, inv.tokenHash, inv.domain, inv.inviter, inv.kind, inv.createdBy, inv.expiresAt.toISOString()],
      );
    },
    async redeem(tokenHash, usedBy, only) {
      const rows = await sql.query<Row>(
        `UPDATE invitations SET used_at = $3, used_by = $2
         WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $3 AND kind = $4
           AND ($5::boolean OR inviter = $6::text)
         RETURNING ${COLUMNS}`,
        [tokenHash, usedBy, (only.now ?? new Date()).toISOString(), only.kind, only.inviter === undefined, only.inviter ?? null],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async list(domain, opts = {}) {
      const rows = await sql.query<Row>(
        `SELECT ${COLUMNS} FROM invitations WHERE domain = $1 AND ($2::text IS NULL OR inviter = $2::text)
         ORDER BY created_at DESC, id LIMIT $3`,
        [domain, opts.inviter ?? null, opts.limit ?? 100],
      );
      return rows.map(fromRow);
    },
    async revoke(id) {
      const rows = await sql.query('UPDATE invitations SET revoked_at = now() WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL RETURNING id', [id]);
      return rows.length > 0;
    },
    async peek(tokenHash, kind, now = new Date()) {
      const rows = await sql.query<Row>(
        `SELECT ${COLUMNS} FROM invitations WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $2 AND kind = $3`,
        [tokenHash, now.toISOString(), kind],
      );
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async settle(usedBy) {
      const rows = await sql.query<{ inviter: string }>(
        `UPDATE invitations SET settled_at = now()
         WHERE used_by = $1 AND kind = 'account' AND inviter IS NOT NULL AND settled_at IS NULL RETURNING inviter`,
        [usedBy],
      );
      return rows[0]?.inviter ?? null;
    },
  };
}

export interface IssuedInvitation {
  id: string;
  /** The secret, shown only now. */
  token: string;
  /** XEP-0379 §2: what the inviter hands to the invitee (a link or a QR code). */
  uri: string;
  expiresAt: string;
}

/**
 * Mints a roster invitation for `inviter` (a bare JID of `domain`): a 128-bit URL-safe token (it travels
 * in a URI query, XEP-0379 §2), stored only as its digest. Used by `parley invite create` and the
 * XEP-0401 `urn:xmpp:invite#invite` command.
 */
export async function issueRosterInvitation(repo: InvitationRepo, opts: { domain: string; inviter: string; ttlMs: number; createdBy: string; now?: number }): Promise<IssuedInvitation> {
  const { id, token, expiresAt } = await issue(repo, { ...opts, kind: 'roster' });
  return { id, token, uri: `xmpp:${opts.inviter}?roster;preauth=${token}`, expiresAt };
}

/**
 * Mints an account invitation (in-band registration with a token, XEP-0445): with an inviter, the
 * XEP-0401 §5.1 URI `xmpp:inviter?roster;preauth=TOKEN;ibr=y` (the invitee registers, or subscribes
 * if she has an account, and becomes the inviter's mutual contact); without one (an administrator's),
 * the XEP-0401 §4 URI `xmpp:domain?register;preauth=TOKEN`.
 */
export async function issueAccountInvitation(repo: InvitationRepo, opts: { domain: string; inviter: string | null; ttlMs: number; createdBy: string; now?: number }): Promise<IssuedInvitation> {
  const { id, token, expiresAt } = await issue(repo, { ...opts, kind: 'account' });
  const uri = opts.inviter ? `xmpp:${opts.inviter}?roster;preauth=${token};ibr=y` : `xmpp:${opts.domain}?register;preauth=${token}`;
  return { id, token, uri, expiresAt };
}

async function issue(repo: InvitationRepo, opts: { domain: string; inviter: string | null; kind: InvitationKind; ttlMs: number; createdBy: string; now?: number }) {
  const id = randomBytes(8).toString('hex');
  const token = randomBytes(16).toString('base64url');
  const expiresAt = new Date((opts.now ?? Date.now()) + opts.ttlMs);
  await repo.create({ id, tokenHash: invitationDigest(token), domain: opts.domain, inviter: opts.inviter, kind: opts.kind, createdBy: opts.createdBy, expiresAt });
  return { id, token, expiresAt: expiresAt.toISOString() };
}
