// Which Redis a cluster process talks to (decision 0026): one server, a primary behind Sentinel, or a
// Redis Cluster. Every Redis user (location, leases, limits) takes the same options and, for a
// Redis Cluster, the same way to build its client, so none of them knows the topology.
import type { ParleyConfig } from '@parley/config';
import { createRequire } from 'node:module';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

export interface RedisTopology {
  /** Options every connection starts from (retries, TLS, Sentinel). */
  redisOptions: RedisOptions;
  /** Builds a Redis Cluster client from a connection's options; absent for a single server or Sentinel. */
  createClient?: (o: RedisOptions) => Redis | Cluster;
}

export function redisTopology(config: ParleyConfig, base: RedisOptions): RedisTopology {
  if (config.redisCluster) return { redisOptions: base, createClient: clusterClient(config.redisCluster, config.redisUrl!, base) };
  return { redisOptions: { ...base, ...sentinelOptions(config) } };
}

/**
 * Redis behind Sentinel: every connection asks the Sentinels for the current primary, and again
 * after losing it, so a failover is followed without a restart (ioredis' Sentinel support).
 */
function sentinelOptions(config: ParleyConfig): RedisOptions {
  if (!config.redisSentinels || !config.redisSentinelName) return {};
  return { sentinels: hostPorts(config.redisSentinels), name: config.redisSentinelName };
}

/**
 * A Redis Cluster from its seed nodes: the client learns the slot map from them, follows MOVED/ASK
 * redirections, and after a master's loss waits for the replica promoted in its place. Credentials
 * and `rediss://` come from PARLEY_REDIS_URL (its host is not used); a cluster has only database 0.
 */
function clusterClient(seeds: string, url: string, base: RedisOptions): (o: RedisOptions) => Cluster {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') throw new Error(`PARLEY_REDIS_URL names database ${db}, but a Redis Cluster has only database 0 (PARLEY_REDIS_CLUSTER is set)`);
  const auth = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' && !base.tls ? { tls: {} } : {}),
  };
  return (o) => {
    const { lazyConnect, enableAutoPipelining, retryStrategy, ...node } = { ...base, ...o };
    // ioredis is loaded by the first connection, not by every process that bundles this (decision 0035).
    const { Cluster } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    return new Cluster(hostPorts(seeds), {
      lazyConnect,
      enableAutoPipelining,
      // Slot moves and a master's failover are waited out a little at a time, then retried.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 100,
      maxRedirections: 32,
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: retryStrategy ?? ((times: number) => Math.min(times * 100, 500)),
      redisOptions: { ...node, ...auth },
    });
  };
}

function hostPorts(list: string): Array<{ host: string; port: number }> {
  return list.split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
}
