// Several Postgres servers in one URL, as libpq takes them (PostgreSQL docs §34.1.1.3, "Specifying
// Multiple Hosts"): postgres://user:pw@h1:5432,h2:5432/db?target_session_attrs=read-write. The
// hosts are tried in order and the first that suits is used; node-postgres takes one host only,
// so each becomes a URL of its own here (decision 0026).
import type pg from 'pg';
import { isStoreUnreachable } from './unreachable.ts';

/** What a server must be to be used (libpq's target_session_attrs, the values that can take writes). */
export type SessionAttrs = 'any' | 'read-write' | 'primary';

const ATTRS = new Set<string>(['any', 'read-write', 'primary']);

/** One URL per host, in the order given, without target_session_attrs; and that setting. */
export function postgresHosts(url: string): { urls: string[]; attrs: SessionAttrs } {
  const m = /^(postgres(?:ql)?:\/\/)([^@/?#]*@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(url);
  if (!m) return { urls: [url], attrs: 'any' };
  const [, scheme, auth = '', hostList, path = '', query = ''] = m;
  const params = new URLSearchParams(query.slice(1));
  const attrs = params.get('target_session_attrs') ?? 'any';
  if (!ATTRS.has(attrs)) throw new Error(`target_session_attrs=${attrs} in the Postgres URL: Parley writes, so use read-write, primary or any`);
  params.delete('target_session_attrs');
  const rest = `${path}${params.size ? `?${params}` : ''}`;
  // A bracketed IPv6 address holds colons but no commas, so a comma always separates two hosts.
  const hosts = (hostList ?? '').split(',').filter(Boolean);
  return { urls: hosts.length > 1 ? hosts.map((h) => `${scheme}${auth}${h}${rest}`) : [`${scheme}${auth}${hostList}${rest}`], attrs: attrs as SessionAttrs };
}

/**
 * The pool of the server in use. With one host and no target_session_attrs it is fixed (node-postgres
 * reconnects by itself). With several, a failure that says the server is gone or read-only drops it,
 * and the next query tries the hosts again in order until one suits: a promoted replica is found
 * without a restart. Until then queries fail as unreachable (SQLSTATE 08001), so callers hold and retry.
 */
export class PrimaryPool {
  private pool: pg.Pool | null = null;
  private finding: Promise<pg.Pool> | null = null;
  private ended = false;

  constructor(
    private readonly urls: string[],
    private readonly attrs: SessionAttrs,
    private readonly open: (url: string) => pg.Pool,
  ) {}

  get fixed(): boolean {
    return this.urls.length === 1 && this.attrs === 'any';
  }

  get(): Promise<pg.Pool> {
    if (this.pool) return Promise.resolve(this.pool);
    if (this.ended) return Promise.reject(new Error('the Postgres pool was closed'));
    this.finding ??= this.find().finally(() => {
      this.finding = null;
    });
    return this.finding;
  }

  /** Called with every failure of a query on `pool`: forgets the server if it may no longer be the one. */
  failed(pool: pg.Pool, err: unknown): void {
    if (this.fixed || pool !== this.pool || !isStoreUnreachable(err)) return;
    this.pool = null;
    void pool.end().catch(() => {});
  }

  /** True once `pool` was dropped for another server (not closed): a query refused by it may go to the next. */
  replaced(pool: pg.Pool): boolean {
    return !this.fixed && !this.ended && pool !== this.pool;
  }

  async end(): Promise<void> {
    this.ended = true;
    const pool = this.pool ?? (await this.finding?.catch(() => null));
    this.pool = null;
    await pool?.end();
  }

  private async find(): Promise<pg.Pool> {
    const why: string[] = [];
    for (const url of this.urls) {
      const pool = this.open(url);
      try {
        if (await suits(pool, this.attrs)) {
          this.pool = pool;
          return pool;
        }
        why.push(`${hostOf(url)} is read-only`);
      } catch (err) {
        why.push(`${hostOf(url)}: ${(err as Error).message}`);
      }
      await pool.end().catch(() => {});
    }
    throw Object.assign(new Error(`no Postgres server suits target_session_attrs=${this.attrs}: ${why.join('; ')}`), { code: '08001' });
  }
}

async function suits(pool: pg.Pool, attrs: SessionAttrs): Promise<boolean> {
  if (attrs === 'read-write') return (await pool.query<{ transaction_read_only: string }>('SHOW transaction_read_only')).rows[0]?.transaction_read_only === 'off';
  if (attrs === 'primary') return (await pool.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === false;
  await pool.query('SELECT 1');
  return true;
}

function hostOf(url: string): string {
  return /@([^/?#]*)/.exec(url)?.[1] ?? /\/\/([^/?#]*)/.exec(url)?.[1] ?? url;
}
