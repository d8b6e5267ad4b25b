// External components (XEP-0114) registered with `parley component add`: their domain and their
// secret, sealed by the caller (services/s2s server-secret.ts) before it reaches this table.
import type { Sql } from './sql.ts';

export interface ComponentRecord {
  domain: string;
  createdAt: Date;
}

export interface ComponentRepo {
  /** False when the domain is already registered (nothing changed). */
  add(domain: string, sealedSecret: string): Promise<boolean>;
  list(): Promise<ComponentRecord[]>;
  /** The sealed secret of a registered domain, null when unknown. */
  sealed(domain: string): Promise<string | null>;
  /** False when the domain was not registered. */
  del(domain: string): Promise<boolean>;
}

export function componentRepo(sql: Sql): ComponentRepo {
  return {
    async add(domain, sealedSecret) {
      const rows = await sql.query('INSERT INTO components (domain, secret_sealed) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING RETURNING domain', [domain, sealedSecret]);
      return rows.length === 1;
    },
    async list() {
      const rows = await sql.query<{ domain: string; created_at: string | Date }>('SELECT domain, created_at FROM components ORDER BY domain');
      return rows.map((r) => ({ domain: r.domain, createdAt: new Date(r.created_at) }));
    },
    async sealed(domain) {
      const rows = await sql.query<{ secret_sealed: string }>('SELECT secret_sealed FROM components WHERE domain = $1', [domain]);
      return rows[0]?.secret_sealed ?? null;
    },
    async del(domain) {
      const rows = await sql.query('DELETE FROM components WHERE domain = $1 RETURNING domain', [domain]);
      return rows.length === 1;
    },
  };
}
