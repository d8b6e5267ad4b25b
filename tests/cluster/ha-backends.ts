// Redundant backends for the failover scenarios (issue 17, item 2), started from the Debian
// binaries on private ports next to PrivateBackends' other servers: a Redis Cluster and a
// Postgres primary with a streaming replica. Killing one of their nodes touches nobody else.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ask, freePort, postgresBin, type PrivateBackends, ServerProcess, until } from './backends.ts';

export interface RedisClusterNodes {
  nodes: ServerProcess[];
  /** Every node as host:port, comma-separated (PARLEY_REDIS_CLUSTER). */
  seeds: string;
  /** The node serving `key`'s slot as a master now. */
  masterOf(key: string): Promise<ServerProcess>;
}

/**
 * `masters` masters with one replica each (`redis-cli --cluster create --cluster-replicas 1`), no
 * persistence, a node timeout of 1 s so a dead master's replica takes over within a few seconds.
 * Resolves once every node reports the cluster ok.
 */
export async function redisCluster(b: PrivateBackends, masters = 3): Promise<RedisClusterNodes> {
  const ports = await Promise.all(Array.from({ length: masters * 2 }, () => freePort()));
  const nodes = await Promise.all(
    ports.map((p) => b.redis(['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${p}.conf`, '--cluster-node-timeout', '1000'], p)),
  );
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  await until(async () => (await Promise.all(ports.map((p) => ask(p, ['CLUSTER', 'INFO'])))).every((i) => i.includes('cluster_state:ok')), 'every Redis Cluster node to report the cluster ok');
  // Before a replica knows its master and has synced, a master's death has nobody to fail over to.
  await until(async () => {
    const ranges = JSON.parse((await ask(ports[0]!, ['CLUSTER', 'SLOTS'])) || '[]') as unknown[][];
    const synced = (await Promise.all(ports.map((p) => ask(p, ['INFO', 'replication'])))).filter((i) => i.includes('master_link_status:up')).length;
    return ranges.length === masters && ranges.every((r) => r.length >= 4) && synced === masters;
  }, 'every master to have a synced replica');
  const byPort = new Map(nodes.map((n) => [n.port, n]));
  return {
    nodes,
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
    async masterOf(key) {
      const live = nodes.find((n) => n.running)!;
      const slot = Number(JSON.parse(await ask(live.port, ['CLUSTER', 'KEYSLOT', key])));
      const ranges = JSON.parse(await ask(live.port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>;
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const node = range && byPort.get(range[2][1]);
      if (!node) throw new Error(`no master serves slot ${slot} of ${key}`);
      return node;
    },
  };
}

/**
 * A streaming replica of `primary` (`pg_basebackup -R`: a standby that follows it, hot standby
 * readable), started once the primary sees it streaming; `promote()` makes it the new primary
 * (`pg_promote()`, waiting until it accepts writes).
 */
export async function postgresReplica(b: PrivateBackends, primary: ServerProcess & { url: string }): Promise<ServerProcess & { url: string; promote(): Promise<void> }> {
  const bin = postgresBin();
  const port = await freePort();
  const data = join(b.dir, `pg-${port}`);
  mkdirSync(data, { mode: 0o700 });
  // The primary's data directory belongs to the user it runs as (postgres when the tests run as root).
  const owner = statSync(join(b.dir, `pg-${primary.port}`));
  const user = process.getuid?.() === 0 ? { uid: owner.uid, gid: owner.gid } : undefined;
  if (user) chownSync(data, user.uid, user.gid);
  execFileSync(join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync'], { stdio: 'ignore', ...user });
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', data, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const ready = async () => {
    const end = Date.now() + 20_000;
    while (spawnSync(join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]).status !== 0) {
      if (Date.now() > end) throw new Error(`the Postgres replica on ${port} did not accept sessions within 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const server = await b.add(new ServerProcess(`postgres replica on ${port}`, join(bin, 'postgres'), args, port, b.dir, { signal: 'SIGQUIT', user, ready }));
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await until(async () => (await query(primary.url, "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).length === 1, 'the replica to stream from the primary');
  return Object.assign(server, {
    url,
    async promote() {
      await query(url, 'SELECT pg_promote(true, 20)');
    },
  });
}

async function query(url: string, text: string): Promise<unknown[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}
