// A real Parley cluster for one test: separate `parley start --role …` processes (run from the
// source bundled once per test process, tests/harness/parley-bin.ts) over the NATS, Redis and Postgres of the environment, each cluster in its own NATS
// subject namespace, Redis key prefix and Postgres schema, so several can share the servers.
// Backends that cannot be reached fail the test loudly: cluster tests never skip.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { deriveAllCredentials } from '@parley/sasl';
import { shardOf } from '@parley/subjects';
import { createStore, migrate, openPostgres, type RosterItem, type Store } from '@parley/store';
import { Redis, type RedisOptions } from 'ioredis';
import { parleyArgs } from '../harness/parley-bin.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIGRATIONS = join(ROOT, 'migrations');

export const URLS = {
  nats: process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  redis: process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  database: process.env.PARLEY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

/** Timing of the test clusters: short leases and edge TTL, so failover fits in a test. */
export const LEASE_TTL_MS = 2000;
export const EDGE_TTL_SEC = 4;
/** The domain of a test cluster unless `ClusterOptions.domain` names another (a federation test's). */
export const DOMAIN = 'localhost';

export type Role = 'edge' | 'session' | 'presence' | 'chatroom' | 'admin' | 's2s';
/** Roles whose processes lease shards: the actors, and s2s (shards of remote domains). */
export type ShardedRole = 'session' | 'presence' | 'chatroom' | 's2s';

export interface ClusterProcess {
  readonly name: string;
  readonly role: Role;
  readonly pid: number;
  readonly opsPort: number;
  /** Admin API port, plain HTTP on loopback (admin only). */
  readonly adminPort: number;
  /** STARTTLS client port (edges only). */
  readonly c2s: number;
  /** Server-to-server ports, STARTTLS and direct TLS (s2s only). */
  readonly s2s: number;
  readonly s2sTls: number;
  /** SHA-256 fingerprint of the edge's certificate, colon-separated (edges only). */
  readonly fingerprint: string;
  /** The process's log lines (JSON), newest last, bounded. */
  readonly logs: string[];
  readonly alive: boolean;
  /** kill -9, resolved once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful drain); SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** A sample of a metric from /metrics, summed over its label sets; undefined if absent. */
  metric(name: string): Promise<number | undefined>;
  /** The lines of /metrics for `name`, one per label set (to tell label values apart). */
  metricLines(name: string): Promise<string[]>;
}

export interface ClusterOptions {
  edges: number;
  sessions: number;
  presences: number;
  /** Chatroom processes (XEP-0045 room actors); none unless asked for. */
  chatrooms?: number;
  /** Federation processes (`--role s2s`); none unless asked for. Their peers and certificate come from `env`. */
  s2s?: number;
  /** Label in process names and failure messages. */
  label?: string;
  /** PARLEY_DOMAIN of every process and the domain of `addUsers`; default DOMAIN (localhost). */
  domain?: string;
  /** Backends of this cluster instead of the environment's (a private Redis a test may kill). */
  urls?: Partial<typeof URLS>;
  /** More settings for every process (TLS files, credentials). */
  env?: Record<string, string>;
  /** More settings for one process, by its name (`edge-1`): a fixed port only one process may take. */
  processEnv?: Record<string, Record<string, string>>;
  /** Options of the test's own Redis connection (TLS to a private Redis). */
  redisOptions?: RedisOptions;
  /** TLS options of the test's own Postgres connection (a TLS-only private Postgres). */
  databaseSsl?: object;
}

/** TCP reachability of host:port of a URL, with the URL in the error. */
async function reachable(url: string, defaultPort: number, what: string, env: string): Promise<void> {
  const u = new URL(url.split(',')[0]!); // a list of servers (a NATS cluster): the first one
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || defaultPort);
  await new Promise<void>((resolve, reject) => {
    const s = netConnect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`${what} at ${host}:${port} did not answer within 5 s`));
    }, 5000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.end();
      resolve();
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  }).catch((err: Error) => {
    throw new Error(`cluster tests need ${what} (${url}): ${err.message}. Start it or set ${env}.`);
  });
}

export class TestCluster {
  readonly name: string;
  readonly schema: string;
  readonly dataDir: string;
  readonly processes: ClusterProcess[] = [];
  private counters: Record<Role, number> = { edge: 0, session: 0, presence: 0, chatroom: 0, admin: 0, s2s: 0 };
  private stopped = false;

  private constructor(
    readonly store: Store,
    private readonly redis: Redis,
    readonly label: string,
    hex: string,
    readonly urls: typeof URLS,
    readonly domain: string,
    private readonly extraEnv: Record<string, string>,
    private readonly processEnv: Record<string, Record<string, string>>,
  ) {
    this.name = `t${hex}`;
    this.schema = `parley_t${hex}`;
    this.dataDir = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
  }

  static async start(opts: ClusterOptions): Promise<TestCluster> {
    const urls = { ...URLS, ...opts.urls };
    await Promise.all([
      reachable(urls.nats, 4222, 'NATS', 'PARLEY_TEST_NATS_URL'),
      reachable(urls.redis, 6379, 'Redis', 'PARLEY_TEST_REDIS_URL'),
      reachable(urls.database, 5432, 'Postgres', 'PARLEY_TEST_DATABASE_URL'),
    ]);
    const redis = new Redis(urls.redis, { maxRetriesPerRequest: 2, lazyConnect: true, ...opts.redisOptions });
    redis.on('error', () => {});
    await redis.connect().catch((err: Error) => {
      throw new Error(`cluster tests need Redis (${urls.redis}): ${err.message}. Start it or set PARLEY_TEST_REDIS_URL.`);
    });
    const hex = randomBytes(5).toString('hex');
    const sql = await openPostgres(urls.database, { schema: `parley_t${hex}`, max: 4, ...(opts.databaseSsl ? { ssl: opts.databaseSsl } : {}) }).catch((err: Error) => {
      redis.disconnect();
      throw new Error(`cluster tests need Postgres: ${err.message}. Start it or set PARLEY_TEST_DATABASE_URL.`);
    });
    // Same hex in the cluster name and the schema: one identifier to look for when debugging.
    const c = new TestCluster(createStore(sql), redis, opts.label ?? 'cluster', hex, urls, opts.domain ?? DOMAIN, opts.env ?? {}, opts.processEnv ?? {});
    try {
      // Migrate once here, so the processes only find the schema ready.
      await migrate(sql, MIGRATIONS);
      const roles: Role[] = [
        ...Array<Role>(opts.sessions).fill('session'),
        ...Array<Role>(opts.presences).fill('presence'),
        ...Array<Role>(opts.chatrooms ?? 0).fill('chatroom'),
        ...Array<Role>(opts.edges).fill('edge'),
        ...Array<Role>(opts.s2s ?? 0).fill('s2s'),
      ];
      await Promise.all(roles.map((r) => c.spawn(r)));
      const actors = (['session', 'presence', 'chatroom', 's2s'] as const).filter((r) => roles.includes(r));
      await Promise.all(actors.map((r) => c.waitShardsSettled(r)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  edges(): ClusterProcess[] {
    return this.processes.filter((p) => p.role === 'edge' && p.alive);
  }

  live(role: Role): ClusterProcess[] {
    return this.processes.filter((p) => p.role === role && p.alive);
  }

  /** The environment of a cluster process: nothing inherited from the developer's PARLEY_* variables. */
  private env(name: string, more: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      PARLEY_NATS_URL: this.urls.nats,
      PARLEY_REDIS_URL: this.urls.redis,
      PARLEY_DATABASE_URL: this.urls.database,
      PARLEY_CLUSTER_NAME: this.name,
      PARLEY_DATABASE_SCHEMA: this.schema,
      PARLEY_EDGE_ID: name,
      PARLEY_DOMAIN: this.domain,
      PARLEY_OPS_PORT: '0',
      PARLEY_C2S_PORT: '0',
      PARLEY_C2S_TLS_PORT: '0',
      // Federation and component listeners (s2s role) on free ports, so clusters never collide on 5269.
      PARLEY_S2S_PORT: '0',
      PARLEY_S2S_TLS_PORT: '0',
      PARLEY_COMPONENT_PORT: '0',
      PARLEY_HTTP_PORT: '0',
      PARLEY_ADMIN_PORT: '0',
      PARLEY_ADMIN_TLS: 'false',
      PARLEY_BIND_ADDRESS: '127.0.0.1',
      PARLEY_DATA_DIR: this.dataDir,
      PARLEY_LEASE_TTL_MS: String(LEASE_TTL_MS),
      PARLEY_EDGE_TTL: String(EDGE_TTL_SEC),
      PARLEY_SCRAM_ITERATIONS: '4096',
      PARLEY_LOG_LEVEL: 'info',
      ...this.extraEnv,
      ...this.processEnv[name],
      ...more,
    };
  }

  /**
   * Starts one more process of `role`; resolves when it logged that it started. `env`: settings of
   * this process only, over the cluster's (an s2s process's certificate and peers, known only now).
   */
  async spawn(role: Role, env: Record<string, string> = {}): Promise<ClusterProcess> {
    if (this.stopped) throw new Error('cluster stopped');
    this.counters[role] += 1;
    const name = `${role}-${this.counters[role]}`;
    const child = spawn(process.execPath, [...(await parleyArgs()), 'start', '--role', role], {
      cwd: ROOT,
      env: this.env(name, env),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const proc = new Proc(name, role, child);
    this.processes.push(proc);
    await proc.started(90_000, this.label);
    return proc;
  }

  /**
   * Waits until the live processes of `role` own all 64 shards between them, each holding some:
   * the cluster is settled (a test that starts traffic earlier measures start-up, not failover).
   */
  async waitShardsSettled(role: ShardedRole, timeoutMs = 30_000): Promise<Map<string, number>> {
    let last = new Map<string, number>();
    await waitFor(
      async () => {
        last = await this.shardsOwned(role);
        const counts = [...last.values()];
        return counts.length > 0 && counts.every((n) => n > 0) && counts.reduce((a, b) => a + b, 0) === 64;
      },
      timeoutMs,
      () => `${role} shards to settle over ${this.live(role).length} processes; owned: ${JSON.stringify(Object.fromEntries(last))}`,
    );
    return last;
  }

  /** parley_<role>_shards_owned of every live process of the role. */
  async shardsOwned(role: ShardedRole): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await Promise.all(
      this.live(role).map(async (p) => {
        out.set(p.name, (await p.metric(`parley_${role}_shards_owned`).catch(() => undefined)) ?? 0);
      }),
    );
    return out;
  }

  /** The instance holding the lease of `key`'s shard (its process name), or null. */
  async shardOwner(role: ShardedRole, key: string): Promise<string | null> {
    return this.redis.hget(`${this.name}:lease:{${role}}`, `${shardOf(key)}:i`);
  }

  /** Creates accounts `name` with password `${name}-pw`; returns bare JIDs. */
  async addUsers(names: string[]): Promise<string[]> {
    await Promise.all(
      names.map(async (n) => {
        const creds = await deriveAllCredentials(password(n), 4096);
        if (!(await this.store.users.create(n, this.domain, creds))) throw new Error(`user ${n} exists`);
      }),
    );
    return names.map((n) => `${n}@${this.domain}`);
  }

  /** Mutual presence subscription, written to the store before the presence actors activate. */
  async befriend(a: string, b: string): Promise<void> {
    const item = (contact: string): RosterItem => ({ contact, name: null, subscription: 'both', ask: null, pendingIn: false, approved: false, groups: [] });
    await this.store.roster.upsert(`${a}@${this.domain}`, item(`${b}@${this.domain}`));
    await this.store.roster.upsert(`${b}@${this.domain}`, item(`${a}@${this.domain}`));
  }

  /** Stored offline messages of a user (serialized stanzas). */
  async offline(user: string): Promise<string[]> {
    const rows = await this.store.sql.query<{ stanza: string }>('SELECT stanza FROM offline_messages WHERE owner = $1 ORDER BY id', [`${user}@${this.domain}`]);
    return rows.map((r) => r.stanza);
  }

  /**
   * Every delivery kept in an XEP-0198 outbox of this cluster's connections, and whether its edge
   * wrote it to the client (it has a stream position) — diagnostics of where a message was lost.
   */
  async outboxed(): Promise<Array<{ xml: string; written: boolean }>> {
    const out: Array<{ xml: string; written: boolean }> = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.name}:*o:*`, 'COUNT', 500);
      for (const k of keys) {
        if ((await this.redis.type(k)) !== 'hash') continue;
        const marks = await this.redis.hgetall(k.replace(/o:([^:]*)$/, 'os:$1'));
        for (const [id, v] of Object.entries(await this.redis.hgetall(k))) out.push({ xml: v, written: id in marks });
      }
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  /** Log lines of every process matching `re`, each prefixed with the process name (diagnostics). */
  logLines(re: RegExp): string[] {
    return this.processes.flatMap((p) => p.logs.filter((l) => re.test(l)).map((l) => `${p.name}: ${l}`));
  }

  private async dropKeys(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.name}:*`, 'COUNT', 500);
      if (keys.length) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  /** Log lines of every process, for a failure message. */
  logTail(lines = 15): string {
    return this.processes.map((p) => `--- ${p.name}${p.alive ? '' : ' (dead)'}\n${p.logs.slice(-lines).join('\n')}`).join('\n');
  }

  /** Stops every process (graceful, then SIGKILL), drops the schema and the cluster's Redis keys. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.processes.map((p) => p.stop(8000)));
    try {
      await this.store.sql.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    } finally {
      await this.store.close().catch(() => {});
    }
    // A private Redis a test stopped has nothing left to clean.
    await this.dropKeys().catch(() => {});
    this.redis.disconnect();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const password = (user: string) => `${user}-pw`;

/** Children still running, killed if the test process exits without stopping its cluster. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

class Proc implements ClusterProcess {
  readonly logs: string[] = [];
  readonly pid: number;
  opsPort = 0;
  adminPort = 0;
  c2s = 0;
  s2s = 0;
  s2sTls = 0;
  fingerprint = '';
  private exitCode: number | null | undefined = undefined;
  private readonly exitedP: Promise<void>;
  private startWaiter: ((err?: Error) => void) | null = null;
  private startedFlag = false;
  private edgeSeen = false;

  constructor(
    readonly name: string,
    readonly role: Role,
    private readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = child.pid;
    running.add(child);
    this.exitedP = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.exitCode = code ?? (signal ? -1 : null);
        this.logs.push(`(exited: code ${code}, signal ${signal})`);
        this.startWaiter?.(new Error(`${name} exited before it started (code ${code}, signal ${signal}):\n${this.logs.slice(-20).join('\n')}`));
        resolve();
      });
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.onLine(line));
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  private onLine(line: string): void {
    this.logs.push(line);
    if (this.logs.length > 400) this.logs.splice(0, this.logs.length - 300);
    if (this.startedFlag || !line.startsWith('{')) return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (rec.msg === 'edge listening') {
      this.c2s = Number(rec.c2s);
      this.fingerprint = String(rec.fingerprint ?? '').replace(/^SHA256 /, '');
      this.edgeSeen = true;
    }
    if (rec.msg === 's2s listening') {
      this.s2s = Number(rec.s2s);
      this.s2sTls = Number(rec.s2sTls);
    }
    if (rec.msg === 'parley cluster process started') {
      this.opsPort = Number(rec.ops);
      this.adminPort = Number(rec.admin ?? 0);
      this.startedFlag = true;
      const w = this.startWaiter;
      this.startWaiter = null;
      w?.(this.role === 'edge' && !this.edgeSeen ? new Error(`${this.name} started without logging "edge listening"`) : undefined);
    }
  }

  started(timeoutMs: number, label: string): Promise<void> {
    if (this.startedFlag) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.startWaiter = null;
        reject(new Error(`${label}: ${this.name} did not start within ${timeoutMs} ms:\n${this.logs.slice(-20).join('\n')}`));
      }, timeoutMs);
      this.startWaiter = (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
    });
  }

  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exitedP;
  }

  async stop(graceMs = 8000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exitedP;
    clearTimeout(timer);
  }

  async metric(name: string): Promise<number | undefined> {
    let sum: number | undefined;
    for (const line of await this.metricLines(name)) {
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(v)) sum = (sum ?? 0) + v;
    }
    return sum;
  }

  async metricLines(name: string): Promise<string[]> {
    const res = await fetch(`http://127.0.0.1:${this.opsPort}/metrics`, { signal: AbortSignal.timeout(5000) });
    return (await res.text()).split('\n').filter((line) => line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'));
  }
}

/** Polls `cond` every 100 ms until true; fails with `what()` after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
