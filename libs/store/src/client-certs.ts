// Certificate accounts (migrations/0022): the server's client CA and the certificates that may sign
// in with SASL EXTERNAL, by SHA-256 fingerprint. Read at every sign-in, so a revocation is seen at once.
import type { Sql } from './sql.ts';

export interface ClientCa {
  certPem: string;
  keyPem: string;
  /** The key is encrypted PKCS#8 (PARLEY_CERT_CA_PASSPHRASE). */
  keyEncrypted: boolean;
  createdAt: Date;
}

export type ClientCertState = 'active' | 'disabled' | 'revoked';

export interface ClientCert {
  /** SHA-256 of the DER form, colon-separated upper-case hex (X509Certificate.fingerprint256). */
  fingerprint: string;
  username: string;
  domain: string;
  name: string;
  certPem: string;
  /** Issued by the server's client CA, or registered by the account (XEP-0257 §2.1). */
  source: 'issued' | 'registered';
  /** false: XEP-0257 <no-cert-management/>. */
  manage: boolean;
  state: ClientCertState;
  notAfter: Date;
  createdAt: Date;
  changedAt: Date;
}

export type NewClientCert = Pick<ClientCert, 'fingerprint' | 'name' | 'certPem' | 'source' | 'manage' | 'notAfter'>;

/** Why a certificate could not be added. */
export type AddCertOutcome = 'ok' | 'no-account' | 'name-taken' | 'known';

export interface ClientCertRepo {
  ca(domain: string): Promise<ClientCa | null>;
  /** Stores the CA unless one exists (`replace` overwrites it); false when one was kept. */
  setCa(domain: string, ca: Pick<ClientCa, 'certPem' | 'keyPem' | 'keyEncrypted'>, replace: boolean): Promise<boolean>;
  /**
   * Records a certificate for an account: `known` when the fingerprint is recorded already (for
   * another account, or revoked: a revoked certificate never comes back); a disabled one of the
   * same account is made active again under the new name.
   */
  add(username: string, domain: string, cert: NewClientCert): Promise<AddCertOutcome>;
  byFingerprint(fingerprint: string): Promise<ClientCert | null>;
  /** The account's certificates, newest first; `all` includes disabled and revoked ones. */
  list(username: string, domain: string, all: boolean): Promise<ClientCert[]>;
  /**
   * Moves the account's active certificate with this name or fingerprint to `state`; returns it
   * (as it now is), or null when there is none.
   */
  setState(username: string, domain: string, nameOrFingerprint: string, state: 'disabled' | 'revoked'): Promise<ClientCert | null>;
}

interface CertRow {
  fingerprint: string;
  username: string;
  domain: string;
  name: string;
  cert_pem: string;
  source: 'issued' | 'registered';
  manage: boolean;
  state: ClientCertState;
  not_after: Date | string;
  created_at: Date | string;
  changed_at: Date | string;
}

const COLUMNS = 'fingerprint, username, domain, name, cert_pem, source, manage, state, not_after, created_at, changed_at';

const cert = (r: CertRow): ClientCert => ({
  fingerprint: r.fingerprint,
  username: r.username,
  domain: r.domain,
  name: r.name,
  certPem: r.cert_pem,
  source: r.source,
  manage: r.manage,
  state: r.state,
  notAfter: new Date(r.not_after),
  createdAt: new Date(r.created_at),
  changedAt: new Date(r.changed_at),
});

export function clientCertRepo(sql: Sql): ClientCertRepo {
  return {
    async ca(domain) {
      const rows = await sql.query<{ cert_pem: string; key_pem: string; key_encrypted: boolean; created_at: Date | string }>(
        'SELECT cert_pem, key_pem, key_encrypted, created_at FROM client_ca WHERE domain = $1',
        [domain],
      );
      const r = rows[0];
      return r ? { certPem: r.cert_pem, keyPem: r.key_pem, keyEncrypted: r.key_encrypted, createdAt: new Date(r.created_at) } : null;
    },

    async setCa(domain, ca, replace) {
      const rows = await sql.query(
        `INSERT INTO client_ca (domain, cert_pem, key_pem, key_encrypted) VALUES ($1, $2, $3, $4)
         ON CONFLICT (domain) DO ${replace ? 'UPDATE SET cert_pem = EXCLUDED.cert_pem, key_pem = EXCLUDED.key_pem, key_encrypted = EXCLUDED.key_encrypted, created_at = now()' : 'NOTHING'}
         RETURNING domain`,
        [domain, ca.certPem, ca.keyPem, ca.keyEncrypted],
      );
      return rows.length > 0;
    },

    add(username, domain, c) {
      return sql.transaction(async (tx) => {
        const user = await tx.query('SELECT 1 FROM users WHERE domain = $1 AND username = $2 FOR UPDATE', [domain, username]);
        if (user.length === 0) return 'no-account';
        const existing = (await tx.query<CertRow>(`SELECT ${COLUMNS} FROM client_certs WHERE fingerprint = $1`, [c.fingerprint])).map(cert)[0];
        if (existing && (existing.state !== 'disabled' || existing.username !== username || existing.domain !== domain)) return 'known';
        const taken = await tx.query(`SELECT 1 FROM client_certs WHERE domain = $1 AND username = $2 AND name = $3 AND state = 'active'`, [domain, username, c.name]);
        if (taken.length > 0) return 'name-taken';
        if (existing) {
          await tx.query(`UPDATE client_certs SET state = 'active', name = $2, manage = $3, changed_at = now() WHERE fingerprint = $1`, [c.fingerprint, c.name, c.manage]);
          return 'ok';
        }
        await tx.query(
          `INSERT INTO client_certs (fingerprint, domain, username, name, cert_pem, source, manage, not_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [c.fingerprint, domain, username, c.name, c.certPem, c.source, c.manage, c.notAfter.toISOString()],
        );
        return 'ok';
      });
    },

    async byFingerprint(fingerprint) {
      const rows = await sql.query<CertRow>(`SELECT ${COLUMNS} FROM client_certs WHERE fingerprint = $1`, [fingerprint]);
      return rows[0] ? cert(rows[0]) : null;
    },

    async list(username, domain, all) {
      const rows = await sql.query<CertRow>(
        `SELECT ${COLUMNS} FROM client_certs WHERE domain = $1 AND username = $2 ${all ? '' : "AND state = 'active'"} ORDER BY created_at DESC, fingerprint`,
        [domain, username],
      );
      return rows.map(cert);
    },

    async setState(username, domain, key, state) {
      // A disabled certificate can still be revoked (a stolen device noticed late); a revoked one stays revoked.
      const from = state === 'revoked' ? "('active', 'disabled')" : "('active')";
      const rows = await sql.query<CertRow>(
        `UPDATE client_certs SET state = $4, changed_at = now()
         WHERE fingerprint = (SELECT fingerprint FROM client_certs WHERE domain = $1 AND username = $2 AND state IN ${from}
                              AND (name = $3 OR fingerprint = upper($3)) ORDER BY state = 'active' DESC, changed_at DESC LIMIT 1)
         RETURNING ${COLUMNS}`,
        [domain, username, key, state],
      );
      return rows[0] ? cert(rows[0]) : null;
    },
  };
}
