// Private backend servers for the tests that take a dependency away: each test starts its own
// redis-server (or nats-server) from the Debian package on a free port in a temporary directory,
// so killing and restarting it touches nobody else (the machine's shared servers stay untouched).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A port free right now on 127.0.0.1 (the OS picks it; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitListening(port: number, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A server process this test owns: started, `kill -9`ed and started again with the same arguments. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];

  constructor(
    readonly what: string,
    private readonly command: string,
    private readonly args: string[],
    readonly port: number,
    private readonly cwd: string,
    /** How `kill` ends it (SIGKILL unless the server needs its own crash signal) and as whom it runs. */
    private readonly opts: { signal?: NodeJS.Signals; user?: { uid: number; gid: number }; ready?: () => Promise<void> } = {},
  ) {}

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.what} is already running`);
    const child = spawn(this.command, this.args, { cwd: this.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...this.opts.user });
    const keep = (b: Buffer) => {
      this.output.push(...b.toString().split('\n').filter(Boolean));
      if (this.output.length > 200) this.output.splice(0, this.output.length - 100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      }),
    );
    child.once('error', (err) => this.output.push(`spawn failed: ${err.message}`));
    try {
      await waitListening(this.port, this.what);
      await this.opts.ready?.();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.output.slice(-20).join('\n')}`);
    }
  }

  /** kill -9 (or the server's own crash signal): it gets no chance to save or say goodbye. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.kill(this.opts.signal ?? 'SIGKILL');
    await this.exited;
    this.child = null;
  }

  /** SIGSTOP/SIGCONT: the server hangs without closing connections. */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }

  logTail(lines = 20): string {
    return this.output.slice(-lines).join('\n');
  }
}

/** One Redis command on a short-lived connection, its answer flattened to text (setup checks). */
export async function ask(port: number, command: string[]): Promise<string> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    await r.connect();
    return JSON.stringify(await r.call(command[0]!, ...command.slice(1)));
  } catch {
    return '';
  } finally {
    r.disconnect();
  }
}

export async function until(cond: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The newest Postgres server binaries Debian installed (`/usr/lib/postgresql/<version>/bin`). */
export function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error(`no Postgres server under ${root} (apt-get install postgresql)`);
  return join(root, versions[0]!, 'bin');
}

/**
 * CPU contention as on a shared 2-core machine: `n` busy loops (separate processes, so this test's
 * own event loop keeps its timing) until the returned function stops them.
 */
export function busyLoops(n: number): () => Promise<void> {
  const children = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  return async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
  };
}

/** Servers and their temporary directory, removed together. */
export class PrivateBackends {
  readonly dir = mkdtempSync(join(tmpdir(), 'parley-backends-'));
  private readonly servers: ServerProcess[] = [];

  /**
   * A redis-server without persistence (`--save "" --appendonly no`): a kill and a start is a
   * restart that lost every key. `extra` adds arguments (TLS, ACL).
   */
  async redis(extra: string[] = [], port?: number): Promise<ServerProcess> {
    const p = port ?? (await freePort());
    const listen = extra.includes('--tls-port') ? [] : ['--port', String(p)];
    const args = ['--bind', '127.0.0.1', ...listen, '--save', '', '--appendonly', 'no', '--dir', this.dir, ...extra];
    return this.add(new ServerProcess(`redis-server on ${p}`, 'redis-server', args, p, this.dir));
  }

  /** nats-server with a configuration file written by the caller (or plain on a free port). */
  async nats(port: number, configFile?: string): Promise<ServerProcess> {
    const args = configFile ? ['-c', configFile] : ['-a', '127.0.0.1', '-p', String(port)];
    return this.add(new ServerProcess(`nats-server on ${port}`, 'nats-server', args, port, this.dir));
  }

  /**
   * A Postgres cluster of its own (Debian's binaries, `initdb` into the temporary directory, trust
   * authentication for `postgres` on 127.0.0.1, no fsync). `kill` is an immediate shutdown (SIGQUIT:
   * the postmaster and its backends quit at once, crash recovery on the next start): a SIGKILL would
   * leave backends holding its shared memory and the restart would refuse to run. As root it runs
   * as the `postgres` user, which Postgres requires.
   */
  async postgres(): Promise<ServerProcess & { url: string }> {
    const bin = postgresBin();
    const port = await freePort();
    const data = join(this.dir, `pg-${port}`);
    mkdirSync(data, { mode: 0o700 });
    let user: { uid: number; gid: number } | undefined;
    if (process.getuid?.() === 0) {
      user = { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
      chmodSync(this.dir, 0o711);
      chownSync(data, user.uid, user.gid);
    }
    execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { stdio: 'ignore', ...user });
    const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', data, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
    // It listens before it accepts sessions (startup, crash recovery): started means accepting them.
    const ready = async () => {
      const end = Date.now() + 20_000;
      while (spawnSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]).status !== 0) {
        if (Date.now() > end) throw new Error(`postgres on ${port} did not accept sessions within 20 s`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const server = new ServerProcess(`postgres on ${port}`, join(bin, 'postgres'), args, port, this.dir, { signal: 'SIGQUIT', user, ready });
    await this.add(server);
    return Object.assign(server, { url: `postgres://postgres@127.0.0.1:${port}/postgres` });
  }

  /**
   * `size` nats-servers routed into one cluster (each soliciting routes to the others), with HTTP
   * monitoring; resolves once every node has a route to every other. `url` lists every node, as an
   * operator configures clients; `connections(node)` counts the clients a node holds now.
   */
  async natsCluster(size: number): Promise<{ nodes: ServerProcess[]; url: string; connections(node: ServerProcess): Promise<number> }> {
    const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), route: await freePort(), http: await freePort() })));
    const routes = ports.map((p) => `nats://127.0.0.1:${p.route}`);
    const nodes = await Promise.all(
      ports.map((p, i) => {
        const others = routes.filter((_, j) => j !== i).join(',');
        const args = ['-a', '127.0.0.1', '-p', String(p.client), '-m', String(p.http), '--cluster_name', 'parley-test', '--cluster', routes[i]!, '--routes', others];
        return this.add(new ServerProcess(`nats-server ${i + 1} on ${p.client}`, 'nats-server', args, p.client, this.dir));
      }),
    );
    const monitor = new Map(nodes.map((n, i) => [n, ports[i]!.http]));
    const varz = async (n: ServerProcess, what: 'routez' | 'varz') => (await (await fetch(`http://127.0.0.1:${monitor.get(n)}/${what}`, { signal: AbortSignal.timeout(3000) })).json()) as Record<string, number>;
    const end = Date.now() + 15_000;
    while (!(await Promise.all(nodes.map(async (n) => (await varz(n, 'routez')).num_routes! >= size - 1))).every(Boolean)) {
      if (Date.now() > end) throw new Error(`the ${size} nats-servers did not all route to each other within 15 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { nodes, url: ports.map((p) => `nats://127.0.0.1:${p.client}`).join(','), connections: async (n) => (await varz(n, 'varz')).connections ?? 0 };
  }

  /**
   * Redis behind Sentinel: a primary, a replica of it and one Sentinel (quorum 1) watching them,
   * which declares the primary down after 1 s and promotes the replica. Resolves once the replica
   * is in sync and the Sentinel knows it (before that a failover would have nowhere to go).
   */
  async redisSentinel(): Promise<{ primary: ServerProcess; replica: ServerProcess; sentinel: ServerProcess; name: string; sentinels: string }> {
    const name = 'parley';
    const primary = await this.redis();
    const replica = await this.redis(['--replicaof', '127.0.0.1', String(primary.port)]);
    await until(async () => /master_link_status:up/.test(await ask(replica.port, ['INFO', 'replication'])), 'the replica to sync');
    const port = await freePort();
    const conf = join(this.dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 3000`,
        '',
      ].join('\n'),
    );
    const sentinel = await this.add(new ServerProcess(`redis-sentinel on ${port}`, 'redis-server', [conf, '--sentinel'], port, this.dir));
    await until(async () => (await ask(port, ['SENTINEL', 'REPLICAS', name])).includes(String(replica.port)), 'the Sentinel to know the replica');
    return { primary, replica, sentinel, name, sentinels: `127.0.0.1:${port}` };
  }

  /** Any server process started and tracked here (killed on `stop`). */
  async add(server: ServerProcess): Promise<ServerProcess> {
    this.servers.push(server);
    await server.start();
    return server;
  }

  async stop(): Promise<void> {
    for (const s of this.servers) {
      s.pause(false);
      await s.kill();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
